// farm-worker's series, scraped as Prometheus would: jobs counted and timed
// (on a simulated clock) through the wrapped runner, and the load read at
// scrape time.
#include "worker/worker_metrics.h"

#include "gtest/gtest.h"
#include "metrics/testing/scrape.h"

namespace farm::worker {
namespace {

using metrics::testing::Sample;
using metrics::testing::Scrape;

// Takes `took` of simulated time and ends with `status`.
class ScriptedRunner : public JobRunner {
 public:
  explicit ScriptedRunner(SimulatedClock* clock) : clock_(clock) {}
  absl::StatusOr<proto::StageOutput> Run(
      const proto::StageJob&, EventSink&,
      const executor::Cancellation&) override {
    clock_->Advance(took);
    if (!status.ok()) return status;
    return proto::StageOutput();
  }
  absl::Duration took;
  absl::Status status;

 private:
  SimulatedClock* clock_;
};

class NoEvents : public EventSink {
 public:
  void Emit(const proto::BuildEvent&) override {}
};

TEST(WorkerMetricsTest, JobsAreCountedAndTimedByResult) {
  SimulatedClock clock;
  WorkerMetrics metrics(&clock);
  ScriptedRunner inner(&clock);
  std::unique_ptr<JobRunner> runner = metrics.Wrap(&inner);
  NoEvents events;
  executor::Cancellation cancel;

  inner.took = absl::Seconds(20);
  ASSERT_TRUE(runner->Run(proto::StageJob(), events, cancel).ok());
  inner.took = absl::Seconds(3);
  inner.status = absl::FailedPreconditionError("RUN exited 1");
  EXPECT_EQ(runner->Run(proto::StageJob(), events, cancel).status().code(),
            absl::StatusCode::kFailedPrecondition);
  inner.took = absl::Seconds(1);
  inner.status = absl::CancelledError("the scheduler cancelled it");
  EXPECT_FALSE(runner->Run(proto::StageJob(), events, cancel).ok());

  const std::string text = Scrape(metrics);
  EXPECT_EQ(Sample(text, "farm_worker_jobs_total", {{"result", "succeeded"}}),
            1);
  EXPECT_EQ(Sample(text, "farm_worker_jobs_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(Sample(text, "farm_worker_jobs_total", {{"result", "cancelled"}}),
            1);
  EXPECT_EQ(Sample(text, "farm_worker_stage_duration_seconds_sum",
                   {{"result", "succeeded"}}),
            20);
  EXPECT_EQ(Sample(text, "farm_worker_stage_duration_seconds_bucket",
                   {{"result", "failed"}, {"le", "2.5"}}),
            0);
  EXPECT_EQ(Sample(text, "farm_worker_stage_duration_seconds_bucket",
                   {{"result", "failed"}, {"le", "5"}}),
            1);
  // No load until the worker is there to ask.
  EXPECT_EQ(Sample(text, "farm_worker_slots"), std::nullopt);
}

TEST(WorkerMetricsTest, LoadIsReadAtScrapeTime) {
  WorkerMetrics metrics;
  WorkerLoad load;
  load.slots = 4;
  load.busy_slots = 1;
  load.snapshot_bytes = 123456;
  load.snapshot_layers = 3;
  metrics.SetLoad([&load] { return load; });
  std::string text = Scrape(metrics);
  EXPECT_EQ(Sample(text, "farm_worker_slots"), 4);
  EXPECT_EQ(Sample(text, "farm_worker_slots_busy"), 1);
  EXPECT_EQ(Sample(text, "farm_worker_snapshot_cache_bytes"), 123456);
  EXPECT_EQ(Sample(text, "farm_worker_snapshot_layers"), 3);
  load.busy_slots = 4;
  EXPECT_EQ(Sample(Scrape(metrics), "farm_worker_slots_busy"), 4);
}

}  // namespace
}  // namespace farm::worker
