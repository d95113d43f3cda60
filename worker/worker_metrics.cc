#include "worker/worker_metrics.h"

#include <string>

#include "metrics/families.h"

namespace farm::worker {

namespace {

// From a second (a step found in the action cache) to two hours.
const prometheus::Histogram::BucketBoundaries& StageBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
  return *buckets;
}

const char* ResultOf(const absl::Status& status) {
  if (status.ok()) return "succeeded";
  return absl::IsCancelled(status) ? "cancelled" : "failed";
}

// Runs each job on the inner runner and reports how it ended.
class MeteredJobRunner : public JobRunner {
 public:
  MeteredJobRunner(JobRunner* inner, WorkerMetrics* metrics, const Clock* clock)
      : inner_(inner), metrics_(metrics), clock_(clock) {}

  absl::StatusOr<proto::StageOutput> Run(
      const proto::StageJob& job, EventSink& events,
      const executor::Cancellation& cancel) override {
    const absl::Time start = clock_->Now();
    absl::StatusOr<proto::StageOutput> output =
        inner_->Run(job, events, cancel);
    metrics_->JobFinished(output.status(), clock_->Now() - start);
    return output;
  }

 private:
  JobRunner* inner_;
  WorkerMetrics* metrics_;
  const Clock* clock_;
};

}  // namespace

WorkerMetrics::WorkerMetrics(const Clock* clock)
    : clock_(clock),
      jobs_(std::make_shared<prometheus::Registry>()),
      jobs_total_(
          prometheus::BuildCounter()
              .Name("farm_worker_jobs_total")
              .Help("Stage jobs this worker ran to their end, by result")
              .Register(*jobs_)),
      stage_seconds_(prometheus::BuildHistogram()
                         .Name("farm_worker_stage_duration_seconds")
                         .Help("Time this worker took to run a stage job, by "
                               "result")
                         .Register(*jobs_)) {
  // Every series exists from the start, so rates begin at zero.
  for (const char* result : {"succeeded", "failed", "cancelled"}) {
    jobs_total_.Add({{"result", result}});
    stage_seconds_.Add({{"result", result}}, StageBuckets());
  }
}

void WorkerMetrics::SetLoad(std::function<WorkerLoad()> load) {
  absl::MutexLock lock(&mu_);
  load_ = std::move(load);
}

std::unique_ptr<JobRunner> WorkerMetrics::Wrap(JobRunner* inner) {
  return std::make_unique<MeteredJobRunner>(inner, this, clock_);
}

void WorkerMetrics::JobFinished(const absl::Status& status,
                                absl::Duration took) {
  const prometheus::Labels labels = {{"result", ResultOf(status)}};
  jobs_total_.Add(labels).Increment();
  stage_seconds_.Add(labels, StageBuckets())
      .Observe(absl::ToDoubleSeconds(took));
}

std::vector<prometheus::MetricFamily> WorkerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out = jobs_->Collect();
  absl::MutexLock lock(&mu_);
  if (!load_) return out;
  const WorkerLoad load = load_();
  out.push_back(metrics::GaugeFamily(
      "farm_worker_slots", "Jobs this worker runs at once", load.slots));
  out.push_back(metrics::GaugeFamily("farm_worker_slots_busy",
                                     "Jobs this worker is running",
                                     load.busy_slots));
  out.push_back(metrics::GaugeFamily(
      "farm_worker_snapshot_cache_bytes",
      "Bytes of unpacked layers this worker's snapshot store holds",
      load.snapshot_bytes));
  out.push_back(
      metrics::GaugeFamily("farm_worker_snapshot_layers",
                           "Unpacked layers this worker's snapshot store holds",
                           load.snapshot_layers));
  return out;
}

}  // namespace farm::worker
