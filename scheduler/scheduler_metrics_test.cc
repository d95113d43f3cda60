// The scheduler's series, scraped as Prometheus would, over a real
// SchedulerCore driven by hand with a simulated clock.
#include "scheduler/scheduler_metrics.h"

#include "common/digest.h"
#include "gtest/gtest.h"
#include "metrics/testing/scrape.h"

namespace farm::scheduler {
namespace {

using metrics::testing::Sample;
using metrics::testing::Scrape;

class IgnoreJobs : public BuildListener {
 public:
  void OnJobDone(int, const absl::Status&, const proto::StageOutput&) override {
  }
  void OnJobEvent(int, const proto::BuildEvent&) override {}
};

proto::StageJob Job(const std::string& key) {
  proto::StageJob job;
  job.add_keys(Digest::Of(key).ToString());
  return job;
}

proto::WorkerMessage Result(const std::string& job_id, bool ok) {
  proto::WorkerMessage message;
  message.mutable_result()->set_job_id(job_id);
  message.mutable_result()->set_ok(ok);
  if (!ok) {
    message.mutable_result()->set_error_code(
        static_cast<int>(absl::StatusCode::kFailedPrecondition));
    message.mutable_result()->set_error("RUN exited 1");
  }
  return message;
}

class SchedulerMetricsTest : public ::testing::Test {
 protected:
  std::optional<double> Value(const std::string& name,
                              std::map<std::string, std::string> labels = {}) {
    return Sample(Scrape(metrics_), name, labels);
  }

  SimulatedClock clock_;
  SchedulerCore core_{&clock_, JobSchedulerOptions{}};
  SchedulerMetrics metrics_{&core_};
  IgnoreJobs build_;
};

TEST_F(SchedulerMetricsTest, QueueAndPoolAreReadAtScrapeTime) {
  EXPECT_EQ(Value("farm_jobs_queued"), 0);
  EXPECT_EQ(Value("farm_workers_connected"), 0);
  core_.RegisterBuild("b1", &build_);
  proto::RegisterWorker worker;
  worker.set_worker_id("w1");
  worker.set_slots(2);
  ASSERT_TRUE(core_.WorkerJoined(worker).ok());
  for (const char* key : {"k1", "k2", "k3"}) core_.Submit("b1", 0, Job(key));
  // Identical work joins the job in flight.
  core_.Submit("b1", 1, Job("k1"));

  EXPECT_EQ(Value("farm_jobs_queued"), 1);
  EXPECT_EQ(Value("farm_jobs_running"), 2);
  EXPECT_EQ(Value("farm_jobs_dispatched_total"), 2);
  EXPECT_EQ(Value("farm_jobs_deduplicated_total"), 1);
  EXPECT_EQ(Value("farm_builds_running"), 1);
  EXPECT_EQ(Value("farm_workers_connected"), 1);
  EXPECT_EQ(Value("farm_pool_slots"), 2);
  EXPECT_EQ(Value("farm_pool_slots_busy"), 2);

  // The worker is lost: its two jobs go back to the queue.
  core_.WorkerLost("w1", "gone");
  EXPECT_EQ(Value("farm_jobs_queued"), 3);
  EXPECT_EQ(Value("farm_jobs_running"), 0);
  EXPECT_EQ(Value("farm_jobs_retried_total"), 2);
  EXPECT_EQ(Value("farm_workers_lost_total"), 1);
  EXPECT_EQ(Value("farm_pool_slots"), 0);
  core_.UnregisterBuild("b1");
  EXPECT_EQ(Value("farm_builds_running"), 0);
  EXPECT_EQ(Value("farm_jobs_cancelled_total"), 3);
}

TEST_F(SchedulerMetricsTest, StagesAreTimedFromAssignmentToResult) {
  core_.RegisterBuild("b1", &build_);
  proto::RegisterWorker worker;
  worker.set_worker_id("w1");
  worker.set_slots(2);
  ASSERT_TRUE(core_.WorkerJoined(worker).ok());
  core_.Submit("b1", 0, Job("k1"));
  core_.Submit("b1", 1, Job("k2"));
  clock_.Advance(absl::Seconds(3));
  core_.FromWorker("w1", Result("job-1", true));
  clock_.Advance(absl::Seconds(4));
  core_.FromWorker("w1", Result("job-2", false));

  const std::map<std::string, std::string> ok = {{"result", "succeeded"}};
  const std::map<std::string, std::string> failed = {{"result", "failed"}};
  EXPECT_EQ(Value("farm_stage_duration_seconds_count", ok), 1);
  EXPECT_EQ(Value("farm_stage_duration_seconds_sum", ok), 3);
  EXPECT_EQ(Value("farm_stage_duration_seconds_count", failed), 1);
  EXPECT_EQ(Value("farm_stage_duration_seconds_sum", failed), 7);
  EXPECT_EQ(Value("farm_stage_duration_seconds_bucket",
                  {{"result", "succeeded"}, {"le", "2.5"}}),
            0);
  EXPECT_EQ(Value("farm_stage_duration_seconds_bucket",
                  {{"result", "succeeded"}, {"le", "5"}}),
            1);
  EXPECT_EQ(Value("farm_jobs_failed_total"), 1);
  EXPECT_EQ(Value("farm_jobs_running"), 0);
  core_.UnregisterBuild("b1");
}

TEST_F(SchedulerMetricsTest, BuildsByResultWithDurationAndContextBytes) {
  // Before any build, every result's series is there at zero.
  EXPECT_EQ(Value("farm_builds_finished_total", {{"result", "cancelled"}}), 0);
  EXPECT_EQ(Value("farm_build_duration_seconds_count", {{"result", "failed"}}),
            0);

  BuildEnd cached;
  cached.fully_cached = true;
  cached.skipped_bytes = 4096;
  cached.took = absl::Seconds(2);
  core_.BuildFinished(cached);
  BuildEnd built;
  built.uploaded_bytes = 100;
  built.skipped_bytes = 50;
  built.took = absl::Seconds(40);
  core_.BuildFinished(built);
  BuildEnd cancelled;
  cancelled.outcome = BuildOutcome::kCancelled;
  cancelled.took = absl::Seconds(1);
  core_.BuildFinished(cancelled);

  EXPECT_EQ(Value("farm_builds_finished_total", {{"result", "succeeded"}}), 2);
  EXPECT_EQ(Value("farm_builds_finished_total", {{"result", "failed"}}), 0);
  EXPECT_EQ(Value("farm_builds_finished_total", {{"result", "cancelled"}}), 1);
  EXPECT_EQ(Value("farm_builds_fully_cached_total"), 1);
  EXPECT_EQ(Value("farm_context_uploaded_bytes_total"), 100);
  EXPECT_EQ(Value("farm_context_skipped_bytes_total"), 4146);
  EXPECT_EQ(
      Value("farm_build_duration_seconds_count", {{"result", "succeeded"}}), 2);
  EXPECT_EQ(Value("farm_build_duration_seconds_sum", {{"result", "succeeded"}}),
            42);
  EXPECT_EQ(Value("farm_build_duration_seconds_sum", {{"result", "cancelled"}}),
            1);
  // farm stats says the same.
  EXPECT_EQ(core_.Stats().builds_cancelled(), 1);
  EXPECT_EQ(core_.Stats().context_bytes_skipped(), 4146);
}

TEST(SchedulerMetricsLifetimeTest, TheCoreOutlivesItsMetrics) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  { SchedulerMetrics metrics(&core); }
  core.BuildFinished(BuildEnd());  // no observer left to call
  EXPECT_EQ(core.Stats().builds_succeeded(), 1);
}

TEST(SchedulerCoreSnapshotTest, LeavesTheStageKeysOut) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  IgnoreJobs build;
  core.RegisterBuild("b1", &build);
  proto::RegisterWorker worker;
  worker.set_worker_id("w1");
  ASSERT_TRUE(core.WorkerJoined(worker).ok());
  core.Submit("b1", 0, Job("k1"));
  CoreSnapshot snapshot = core.Snapshot();
  EXPECT_EQ(snapshot.counters.jobs_dispatched(), 1);
  EXPECT_EQ(snapshot.counters.runs_by_stage_key_size(), 0);
  // ... which the core keeps for `farm stats`.
  EXPECT_EQ(core.Stats().runs_by_stage_key_size(), 1);
  core.UnregisterBuild("b1");
}

}  // namespace
}  // namespace farm::scheduler
