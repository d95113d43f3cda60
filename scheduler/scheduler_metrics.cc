#include "scheduler/scheduler_metrics.h"

#include <string>

#include "metrics/families.h"

namespace farm::scheduler {

namespace {

using metrics::CounterFamily;
using metrics::GaugeFamily;
using metrics::LabelledCounterFamily;

// From a second (a cached step) to two hours (a long compile).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
  return *buckets;
}

prometheus::Histogram& Series(prometheus::Family<prometheus::Histogram>& family,
                              const std::string& result) {
  return family.Add({{"result", result}}, DurationBuckets());
}

void AddSnapshot(const CoreSnapshot& s,
                 std::vector<prometheus::MetricFamily>& out) {
  const proto::SchedulerStats& c = s.counters;
  out.push_back(GaugeFamily("farm_jobs_queued",
                            "Stage jobs waiting for a worker", s.jobs_queued));
  out.push_back(GaugeFamily("farm_jobs_running",
                            "Stage jobs a worker is running", s.jobs_running));
  out.push_back(CounterFamily(
      "farm_jobs_dispatched_total",
      "Stage jobs assigned to a worker (a retried job once per worker)",
      c.jobs_dispatched()));
  out.push_back(
      CounterFamily("farm_jobs_retried_total",
                    "Stage jobs queued again because their worker was lost",
                    c.jobs_retried()));
  out.push_back(CounterFamily(
      "farm_jobs_failed_total",
      "Stage jobs that ended with an error (reported by their worker, or "
      "after losing too many workers)",
      c.jobs_failed()));
  out.push_back(CounterFamily(
      "farm_jobs_deduplicated_total",
      "Times a build joined an identical stage job already in flight",
      c.jobs_deduplicated()));
  out.push_back(CounterFamily(
      "farm_jobs_adopted_total",
      "Stage jobs a worker kept running across a reconnect or a failover, "
      "finished where they ran",
      c.jobs_adopted()));
  out.push_back(CounterFamily(
      "farm_jobs_cancelled_total",
      "Stage jobs stopped because no build waited on them any more",
      c.jobs_cancelled()));
  out.push_back(GaugeFamily("farm_builds_running",
                            "Builds the scheduler is running",
                            s.builds_running));
  out.push_back(CounterFamily("farm_builds_started_total", "Builds started",
                              c.builds_started()));
  out.push_back(LabelledCounterFamily("farm_builds_finished_total",
                                      "Builds that ended, by result", "result",
                                      {{"succeeded", c.builds_succeeded()},
                                       {"failed", c.builds_failed()},
                                       {"cancelled", c.builds_cancelled()}}));
  out.push_back(
      CounterFamily("farm_builds_fully_cached_total",
                    "Builds that succeeded without running a stage job",
                    c.fully_cached_builds()));
  out.push_back(CounterFamily("farm_context_uploaded_bytes_total",
                              "Build context bytes clients uploaded",
                              c.context_bytes_uploaded()));
  out.push_back(CounterFamily(
      "farm_context_skipped_bytes_total",
      "Build context bytes builds read that clients did not upload, because "
      "the cache already held them",
      c.context_bytes_skipped()));
  out.push_back(GaugeFamily("farm_workers_connected",
                            "Workers connected to the scheduler",
                            s.pool.workers));
  out.push_back(GaugeFamily("farm_workers_draining",
                            "Connected workers that take no new jobs",
                            s.pool.draining));
  out.push_back(CounterFamily(
      "farm_workers_lost_total",
      "Workers whose stream ended or whose lease lapsed", c.workers_lost()));
  out.push_back(GaugeFamily(
      "farm_pool_slots", "Job slots of the connected workers", s.pool.slots));
  out.push_back(GaugeFamily("farm_pool_slots_busy",
                            "Job slots of the connected workers running a job",
                            s.pool.busy_slots));
}

}  // namespace

SchedulerMetrics::SchedulerMetrics(SchedulerCore* core)
    : core_(core),
      durations_(std::make_shared<prometheus::Registry>()),
      build_seconds_(prometheus::BuildHistogram()
                         .Name("farm_build_duration_seconds")
                         .Help("Time from a build's request to its result, "
                               "by result")
                         .Register(*durations_)),
      stage_seconds_(prometheus::BuildHistogram()
                         .Name("farm_stage_duration_seconds")
                         .Help("Time from a stage job's assignment to its "
                               "worker's result, by result")
                         .Register(*durations_)) {
  // Every series exists from the start, so rates begin at zero.
  for (BuildOutcome outcome : {BuildOutcome::kSucceeded, BuildOutcome::kFailed,
                               BuildOutcome::kCancelled}) {
    Series(build_seconds_, BuildOutcomeName(outcome));
  }
  Series(stage_seconds_, "succeeded");
  Series(stage_seconds_, "failed");
  core_->SetObserver(this);
}

SchedulerMetrics::~SchedulerMetrics() { core_->SetObserver(nullptr); }

std::vector<prometheus::MetricFamily> SchedulerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  AddSnapshot(core_->Snapshot(), out);
  for (prometheus::MetricFamily& family : durations_->Collect()) {
    out.push_back(std::move(family));
  }
  return out;
}

void SchedulerMetrics::BuildFinished(const BuildEnd& build) {
  Series(build_seconds_, BuildOutcomeName(build.outcome))
      .Observe(absl::ToDoubleSeconds(build.took));
}

void SchedulerMetrics::StageFinished(bool ok, absl::Duration took) {
  Series(stage_seconds_, ok ? "succeeded" : "failed")
      .Observe(absl::ToDoubleSeconds(took));
}

}  // namespace farm::scheduler
