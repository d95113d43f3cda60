#include "scheduler/job_scheduler.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "scheduler/actions_testing.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

using testing::Only;

proto::StageJob Job(const std::string& final_key,
                    std::vector<std::string> base = {}) {
  proto::StageJob job;
  job.add_keys("sha256:base");
  job.add_keys(final_key);
  for (const auto& id : base) job.add_base_diff_ids(id);
  return job;
}

using testing::Worker;

proto::JobResult Ok(const std::string& job_id) {
  proto::JobResult r;
  r.set_job_id(job_id);
  r.set_ok(true);
  r.mutable_output()->set_final_key("k");
  return r;
}

TEST(JobSchedulerTest, QueuesUntilAWorkerJoins) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b1", 0}, Job("k1"))).empty());
  EXPECT_EQ(s.queued(), 1u);
  auto assigned = Only<AssignJob>(s.WorkerJoined(Worker("w1", 1)));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w1");
  EXPECT_EQ(assigned[0].job.job_id(), "job-1");
  EXPECT_EQ(assigned[0].job.attempt(), 1);
  auto done = Only<JobDone>(s.JobResultFrom("w1", Ok("job-1")));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok());
  ASSERT_EQ(done[0].waiters.size(), 1u);
  EXPECT_EQ(done[0].waiters[0].build_id, "b1");
}

TEST(JobSchedulerTest, IdenticalJobsRunOnceForEveryWaiter) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 4));
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b1", 2}, Job("shared"))).size(), 1u);
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b2", 0}, Job("shared"))).empty());
  EXPECT_EQ(s.stats().jobs_deduplicated(), 1);
  auto done = Only<JobDone>(s.JobResultFrom("w1", Ok("job-1")));
  ASSERT_EQ(done.size(), 1u);
  ASSERT_EQ(done[0].waiters.size(), 2u);
  EXPECT_EQ(done[0].waiters[0].stage, 2);
  EXPECT_EQ(done[0].waiters[1].stage, 0);
  EXPECT_EQ(s.stats().runs_by_stage_key().at("shared"), 1);
  // Once finished, the same key runs again for a later build.
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b3", 0}, Job("shared"))).size(), 1u);
}

TEST(JobSchedulerTest, RunsPerStageKeyKeepOnlyTheNewestKeys) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  const size_t total = kStageKeysKept + 5;
  for (size_t i = 0; i < total; ++i) {
    ASSERT_EQ(Only<AssignJob>(s.Submit({"b", 0}, Job(absl::StrCat("key-", i))))
                  .size(),
              1u);
    ASSERT_EQ(
        Only<JobDone>(s.JobResultFrom("w1", Ok(absl::StrCat("job-", i + 1))))
            .size(),
        1u);
  }
  const auto& runs = s.stats().runs_by_stage_key();
  EXPECT_EQ(runs.size(), kStageKeysKept);
  EXPECT_EQ(runs.count("key-0"), 0u);
  EXPECT_EQ(runs.count("key-4"), 0u);
  EXPECT_EQ(runs.at("key-5"), 1);
  EXPECT_EQ(runs.at(absl::StrCat("key-", total - 1)), 1);
  EXPECT_EQ(s.stats().jobs_dispatched(), static_cast<int64_t>(total));
}

TEST(JobSchedulerTest, PrefersWorkersHoldingTheBaseLayers) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("a", 2));
  s.WorkerJoined(Worker("b", 2, {"sha256:l1", "sha256:l2"}));
  auto assigned = Only<AssignJob>(
      s.Submit({"b1", 0}, Job("k1", {"sha256:l1", "sha256:l2"})));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "b");
  // Without affinity the least loaded worker wins.
  auto next = Only<AssignJob>(s.Submit({"b1", 1}, Job("k2")));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].worker_id, "a");
}

TEST(JobSchedulerTest, IndependentJobsSpreadOverWorkers) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  auto a = Only<AssignJob>(s.Submit({"b", 1}, Job("left")));
  auto b = Only<AssignJob>(s.Submit({"b", 2}, Job("right")));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0].worker_id, b[0].worker_id);
}

TEST(JobSchedulerTest, LostWorkerRequeuesThenGivesUpAfterThreeAttempts) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  s.WorkerJoined(Worker("w3", 1));
  auto first = Only<AssignJob>(s.Submit({"b1", 0}, Job("crash")));
  ASSERT_EQ(first.size(), 1u);
  auto second = Only<AssignJob>(s.WorkerLost(first[0].worker_id, "stream"));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].worker_id, first[0].worker_id);
  EXPECT_EQ(second[0].job.attempt(), 2);
  auto third = Only<AssignJob>(s.WorkerLost(second[0].worker_id, "stream"));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].job.attempt(), 3);
  auto lost = s.WorkerLost(third[0].worker_id, "killed");
  auto done = Only<JobDone>(lost);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(done[0].status.message().find("after 3 attempts"),
            std::string::npos);
  EXPECT_NE(done[0].status.message().find("killed"), std::string::npos);
  EXPECT_EQ(s.stats().jobs_retried(), 2);
  EXPECT_EQ(s.stats().workers_lost(), 3);
}

TEST(JobSchedulerTest, LeasesExpireWithoutHeartbeats) {
  SimulatedClock clock;
  JobScheduler s(&clock, {absl::Seconds(10), 3});
  s.WorkerJoined(Worker("quiet", 1));
  s.WorkerJoined(Worker("chatty", 1));
  auto assigned = Only<AssignJob>(s.Submit({"b1", 0}, Job("k")));
  ASSERT_EQ(assigned.size(), 1u);
  std::string first = assigned[0].worker_id;
  std::string other = first == "quiet" ? "chatty" : "quiet";
  clock.Advance(absl::Seconds(8));
  s.WorkerHeartbeat(other, proto::Heartbeat());
  EXPECT_TRUE(s.Tick().empty());
  clock.Advance(absl::Seconds(5));
  auto moved = Only<AssignJob>(s.Tick());
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].worker_id, other);
  EXPECT_EQ(s.Workers().size(), 1u);
}

TEST(JobSchedulerTest, AbandonedJobsAreCancelledUnlessSomeoneWaits) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 2));
  s.Submit({"b1", 0}, Job("shared"));
  s.Submit({"b2", 0}, Job("shared"));
  s.Submit({"b1", 1}, Job("mine"));
  auto cancels = Only<CancelOnWorker>(s.Abandon("b1"));
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].job_id, "job-2");
  EXPECT_EQ(s.stats().jobs_cancelled(), 1);
  // The shared job still reports to b2.
  auto done = Only<JobDone>(s.JobResultFrom("w1", Ok("job-1")));
  ASSERT_EQ(done.size(), 1u);
  ASSERT_EQ(done[0].waiters.size(), 1u);
  EXPECT_EQ(done[0].waiters[0].build_id, "b2");
}

TEST(JobSchedulerTest, DrainingWorkersTakeNoNewJobs) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 2));
  proto::Heartbeat beat;
  beat.set_draining(true);
  s.WorkerHeartbeat("w1", beat);
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b", 0}, Job("k"))).empty());
  EXPECT_EQ(s.queued(), 1u);
}

TEST(JobSchedulerTest, EventsReachEveryWaiterWithTheWorkerName) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.Submit({"b1", 3}, Job("k"));
  proto::JobEvent event;
  event.set_job_id("job-1");
  event.mutable_event()->set_text("hello");
  auto relayed = Only<RelayEvent>(s.JobEventFrom("w1", event));
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].event.worker(), "w1");
  EXPECT_EQ(relayed[0].waiters[0].stage, 3);
  // Events from a worker that no longer owns the job are dropped.
  EXPECT_TRUE(s.JobEventFrom("w2", event).empty());
}

TEST(JobSchedulerTest, WorkersWithAFullDiskTakeNoJobsUntilFreed) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  proto::RegisterWorker full = Worker("w1", 2);
  full.set_disk_full(true);
  full.set_disk_free_bytes(1 << 20);
  EXPECT_TRUE(Only<AssignJob>(s.WorkerJoined(full)).empty());
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b", 0}, Job("k1"))).empty());
  EXPECT_EQ(s.queued(), 1u);
  ASSERT_EQ(s.Workers().size(), 1u);
  EXPECT_TRUE(s.Workers()[0].disk_full);
  EXPECT_EQ(s.Workers()[0].disk_free_bytes, 1 << 20);
  // Another worker with room takes it.
  auto assigned = Only<AssignJob>(s.WorkerJoined(Worker("w2", 1)));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w2");
  // The full one takes the next only once a heartbeat says it has room.
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b", 1}, Job("k2"))).empty());
  proto::Heartbeat still_full;
  still_full.set_disk_full(true);
  EXPECT_TRUE(Only<AssignJob>(s.WorkerHeartbeat("w1", still_full)).empty());
  proto::Heartbeat freed;
  freed.set_disk_free_bytes(int64_t{50} << 30);
  assigned = Only<AssignJob>(s.WorkerHeartbeat("w1", freed));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w1");
  EXPECT_FALSE(s.Workers()[0].disk_full);
}

TEST(JobSchedulerTest, AJobKilledAtALimitFailsAndIsNotRetried) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  auto assigned = Only<AssignJob>(s.Submit({"b", 0}, Job("k")));
  ASSERT_EQ(assigned.size(), 1u);
  const std::string worker = assigned[0].worker_id;
  proto::JobResult killed;
  killed.set_job_id("job-1");
  killed.set_ok(false);
  killed.set_error_code(static_cast<int>(absl::StatusCode::kResourceExhausted));
  killed.set_error(
      "Dockerfile:2: RUN make was killed: memory limit 64 MiB reached");
  std::vector<SchedulerAction> actions = s.JobResultFrom(worker, killed);
  EXPECT_TRUE(Only<AssignJob>(actions).empty());
  auto done = Only<JobDone>(actions);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(done[0].status.message(), killed.error());
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.stats().jobs_retried(), 0);
  EXPECT_EQ(s.stats().jobs_dispatched(), 1);
  // The worker stays in the pool and takes the next job.
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b2", 0}, Job("k2"))).size(), 1u);
}

TEST(JobSchedulerTest, BuildsWithOtherRunLimitsDoNotShareAJob) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 4));
  proto::StageJob plain = Job("k");
  proto::StageJob small = Job("k");
  small.mutable_run_limits()->set_memory_bytes(64 << 20);
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b1", 0}, plain)).size(), 1u);
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b2", 0}, small)).size(), 1u);
  // The same limits do.
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b3", 0}, small)).empty());
  EXPECT_EQ(s.stats().jobs_deduplicated(), 1);
}

TEST(JobSchedulerTest, QueuedJobsGoOutInOrderWhateverFinishes) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  for (int i = 1; i <= 50; ++i) s.Submit({"b", i}, Job(absl::StrCat("k", i)));
  EXPECT_EQ(s.queued(), 48u);
  EXPECT_EQ(s.running(), 2u);
  // A queued job that its only build leaves drops out of the queue.
  s.Submit({"gone", 0}, Job("k-gone"));
  s.Abandon("gone");
  EXPECT_EQ(s.queued(), 48u);
  // Each result hands the freed worker the oldest queued job.
  std::string running[] = {"job-1", "job-2"};
  for (int next = 3; next <= 50; ++next) {
    const int w = next % 2;  // job-3 follows job-1 on w1, job-4 job-2 on w2
    auto assigned = Only<AssignJob>(
        s.JobResultFrom(w == 1 ? "w1" : "w2", Ok(running[1 - w])));
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_EQ(assigned[0].job.job_id(), absl::StrCat("job-", next));
    running[1 - w] = assigned[0].job.job_id();
    EXPECT_EQ(s.queued() + s.running(), static_cast<size_t>(50 - next + 2));
  }
}

TEST(JobSchedulerTest, AJobWhoseWorkerIsLostGoesBeforeOlderQueuedJobs) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  s.Submit({"b", 1}, Job("k1"));  // job-1 on w1
  s.Submit({"b", 2}, Job("k2"));  // job-2 on w2
  s.Submit({"b", 3}, Job("k3"));  // queued
  EXPECT_TRUE(Only<AssignJob>(s.WorkerLost("w1", "gone")).empty());
  EXPECT_EQ(s.queued(), 2u);
  auto next = Only<AssignJob>(s.JobResultFrom("w2", Ok("job-2")));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job.job_id(), "job-1");
  EXPECT_EQ(next[0].job.attempt(), 2);
}

TEST(JobSchedulerTest, AbandonTouchesOnlyTheBuildsJobs) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 2));
  s.Submit({"b1", 0}, Job("a"));  // job-1, running
  s.Submit({"b2", 0}, Job("b"));  // job-2, running
  s.Submit({"b1", 1}, Job("c"));  // job-3, queued
  s.Submit({"b2", 1}, Job("d"));  // job-4, queued
  s.Submit({"b1", 2}, Job("e"));  // job-5, queued
  s.Submit({"b2", 2}, Job("e"));  // joins job-5
  s.Submit({"b1", 3}, Job("a"));  // joins job-1 again
  std::vector<SchedulerAction> actions = s.Abandon("b1");
  auto cancels = Only<CancelOnWorker>(actions);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].job_id, "job-1");
  EXPECT_EQ(s.stats().jobs_cancelled(), 2);  // job-1 and job-3
  // The freed slot takes the oldest job still queued, b2's job-4.
  auto assigned = Only<AssignJob>(actions);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].job.job_id(), "job-4");
  EXPECT_EQ(s.queued(), 1u);
  EXPECT_EQ(s.running(), 2u);
  assigned = Only<AssignJob>(s.JobResultFrom("w1", Ok("job-2")));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].job.job_id(), "job-5");
  EXPECT_TRUE(s.FailQueued(absl::UnavailableError("stop")).empty());
  // b2 still waits on job-5; b1 no longer does.
  auto last = Only<JobDone>(s.JobResultFrom("w1", Ok("job-5")));
  ASSERT_EQ(last.size(), 1u);
  ASSERT_EQ(last[0].waiters.size(), 1u);
  EXPECT_EQ(last[0].waiters[0].build_id, "b2");
  EXPECT_EQ(last[0].waiters[0].stage, 2);
  // Nothing is left for b1 to abandon.
  EXPECT_TRUE(s.Abandon("b1").empty());
  EXPECT_EQ(s.running(), 1u);  // job-4
}

TEST(JobSchedulerTest, FailQueuedFailsInQueueOrder) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.Submit({"b", 0}, Job("k1"));
  s.Submit({"b", 1}, Job("k2"));
  s.Submit({"c", 0}, Job("k3"));
  auto done = Only<JobDone>(s.FailQueued(absl::UnavailableError("no worker")));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].waiters[0].stage, 0);
  EXPECT_EQ(done[1].waiters[0].stage, 1);
  EXPECT_EQ(done[2].waiters[0].build_id, "c");
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.running(), 0u);
  // The keys are free again.
  s.WorkerJoined(Worker("w1", 1));
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b", 0}, Job("k1"))).size(), 1u);
}

}  // namespace
}  // namespace farm::scheduler
