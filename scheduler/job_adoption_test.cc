// JobScheduler and the jobs a worker kept running while it had no scheduler:
// a build's job is finished where it runs, whichever of the two (the
// worker's registration or the build's submission) comes first; kept jobs
// nobody claims are cancelled after adopt_wait.
#include <string>

#include "gtest/gtest.h"
#include "scheduler/actions_testing.h"
#include "scheduler/job_scheduler.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

using testing::Only;
using testing::Worker;

proto::StageJob Job(const std::string& final_key) {
  proto::StageJob job;
  job.add_keys("sha256:base");
  job.add_keys(final_key);
  return job;
}

// What a worker sends back of a job it kept: the job as its old scheduler
// assigned it, under that scheduler's id.
proto::StageJob Kept(const std::string& job_id, const std::string& final_key) {
  proto::StageJob job = Job(final_key);
  job.set_job_id(job_id);
  job.set_attempt(1);
  return job;
}

// Worker `id` with one slot, registering with `kept` jobs.
proto::RegisterWorker Keeping(const std::string& id,
                              std::vector<proto::StageJob> kept,
                              int slots = 1) {
  proto::RegisterWorker reg = Worker(id, slots);
  for (proto::StageJob& job : kept) *reg.add_kept_jobs() = std::move(job);
  return reg;
}

proto::JobResult Ok(const std::string& job_id, const std::string& key) {
  proto::JobResult r;
  r.set_job_id(job_id);
  r.set_ok(true);
  r.mutable_output()->set_final_key(key);
  return r;
}

JobSchedulerOptions NewLeader() {
  JobSchedulerOptions options;
  options.job_id_prefix = "new-";
  return options;
}

TEST(JobAdoptionTest, AKeptJobIsClaimedByTheBuildSubmittedAfterIt) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  EXPECT_TRUE(s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")})).empty());
  EXPECT_EQ(s.running(), 1u);

  // The resumed build asks for the same work: nothing is dispatched.
  EXPECT_TRUE(s.Submit({"b1", 0}, Job("k1")).empty());
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.stats().jobs_adopted(), 1);
  EXPECT_EQ(s.stats().jobs_dispatched(), 0);

  proto::JobEvent event;
  event.set_job_id("old-7");
  event.mutable_event()->set_text("step 2");
  auto relayed = Only<RelayEvent>(s.JobEventFrom("w1", event));
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].waiters[0].build_id, "b1");

  auto done = Only<JobDone>(s.JobResultFrom("w1", Ok("old-7", "k1")));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[0].worker_id, "w1");
  EXPECT_EQ(done[0].output.final_key(), "k1");
  EXPECT_EQ(s.running(), 0u);
}

TEST(JobAdoptionTest, AQueuedJobMovesToTheKeptRunOfIt) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  // The resumed build came first, with no worker to run its job.
  EXPECT_TRUE(s.Submit({"b1", 3}, Job("k1")).empty());
  EXPECT_EQ(s.queued(), 1u);

  auto actions = s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}, 2));
  EXPECT_TRUE(Only<AssignJob>(actions).empty());
  EXPECT_TRUE(Only<CancelOnWorker>(actions).empty());
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.stats().jobs_adopted(), 1);

  // Known by the worker's id from now on; the abandoned id is gone.
  EXPECT_TRUE(s.JobResultFrom("w1", Ok("new-1", "k1")).empty());
  auto done = Only<JobDone>(s.JobResultFrom("w1", Ok("old-7", "k1")));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].waiters[0].build_id, "b1");
  EXPECT_EQ(done[0].waiters[0].stage, 3);

  // The build ending afterwards cancels nothing.
  EXPECT_TRUE(s.Abandon("b1").empty());
}

TEST(JobAdoptionTest, ACopyDispatchedMeanwhileIsCancelled) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  s.WorkerJoined(Worker("w2", 1));
  auto assigned = Only<AssignJob>(s.Submit({"b1", 0}, Job("k1")));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w2");

  auto actions = s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  auto cancels = Only<CancelOnWorker>(actions);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_id, "w2");
  EXPECT_EQ(cancels[0].job_id, "new-1");

  // w2 is free again for other work; its cancelled copy's result is ignored.
  auto next = Only<AssignJob>(s.Submit({"b2", 0}, Job("k2")));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].worker_id, "w2");
  proto::JobResult cancelled;
  cancelled.set_job_id("new-1");
  cancelled.set_error_code(1);
  cancelled.set_error("cancelled");
  EXPECT_TRUE(Only<JobDone>(s.JobResultFrom("w2", cancelled)).empty());

  auto done = Only<JobDone>(s.JobResultFrom("w1", Ok("old-7", "k1")));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[0].waiters[0].build_id, "b1");
}

TEST(JobAdoptionTest, AResultThatCameBeforeTheClaimFinishesTheBuildsJob) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  // The worker sends the result it held right after registering.
  EXPECT_TRUE(s.JobResultFrom("w1", Ok("old-7", "k1")).empty());

  auto done = Only<JobDone>(s.Submit({"b1", 0}, Job("k1")));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[0].output.final_key(), "k1");
  EXPECT_EQ(s.stats().jobs_dispatched(), 0);
  EXPECT_EQ(s.running(), 0u);
}

TEST(JobAdoptionTest, AFailureNobodyWaitedForIsNotHandedToTheBuild) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  proto::JobResult failed;
  failed.set_job_id("old-7");
  failed.set_error_code(14);
  failed.set_error("the cache was unreachable");
  EXPECT_TRUE(s.JobResultFrom("w1", failed).empty());

  // The build runs the work afresh.
  auto assigned = Only<AssignJob>(s.Submit({"b1", 0}, Job("k1")));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].job.job_id(), "new-1");
}

TEST(JobAdoptionTest, AnAdoptedJobThatCouldNotReachTheCacheRunsAgain) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  s.Submit({"b1", 0}, Job("k1"));
  proto::JobResult unreachable;
  unreachable.set_job_id("old-7");
  unreachable.set_error_code(14);  // kUnavailable
  unreachable.set_error(
      "storing the layer: connections to all backends failing");
  auto assigned = Only<AssignJob>(s.JobResultFrom("w1", unreachable));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w1");
  EXPECT_EQ(assigned[0].job.job_id(), "old-7");
  EXPECT_EQ(assigned[0].job.attempt(), 2);
  EXPECT_EQ(s.stats().jobs_retried(), 1);

  // Run again, it is an ordinary job: its own failure is the build's.
  proto::JobResult failed = unreachable;
  failed.set_error("step 2 exited with code 1");
  failed.set_error_code(9);
  auto done = Only<JobDone>(s.JobResultFrom("w1", failed));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].status.ok());
}

TEST(JobAdoptionTest, AKeptJobNobodyClaimsIsCancelledAfterTheWait) {
  SimulatedClock clock;
  JobSchedulerOptions options = NewLeader();
  options.adopt_wait = absl::Seconds(30);
  JobScheduler s(&clock, options);
  s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  clock.Advance(absl::Seconds(29));
  s.WorkerHeartbeat("w1", proto::Heartbeat());
  EXPECT_TRUE(Only<CancelOnWorker>(s.Tick()).empty());

  clock.Advance(absl::Seconds(2));
  s.WorkerHeartbeat("w1", proto::Heartbeat());
  auto cancels = Only<CancelOnWorker>(s.Tick());
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_id, "w1");
  EXPECT_EQ(cancels[0].job_id, "old-7");
  // Its slot is free for new work at once.
  auto assigned = Only<AssignJob>(s.Submit({"b1", 0}, Job("k2")));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w1");
}

TEST(JobAdoptionTest, AWorkerThatReconnectsKeepsItsJob) {
  SimulatedClock clock;
  JobScheduler s(&clock);
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  auto assigned = Only<AssignJob>(s.Submit({"b1", 0}, Job("k1")));
  ASSERT_EQ(assigned.size(), 1u);
  const std::string worker = assigned[0].worker_id;
  const std::string other = worker == "w1" ? "w2" : "w1";

  // Its stream dropped: the job is re-queued and goes to the other worker.
  auto retried = Only<AssignJob>(s.WorkerLost(worker, "stream closed"));
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].worker_id, other);

  // It comes back still running the job: the retry is cancelled.
  auto cancels = Only<CancelOnWorker>(
      s.WorkerJoined(Keeping(worker, {Kept("job-1", "k1")})));
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_id, other);
  auto done = Only<JobDone>(s.JobResultFrom(worker, Ok("job-1", "k1")));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].worker_id, worker);
}

TEST(JobAdoptionTest, AKeptJobThatMountsACacheIsCancelled) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  proto::StageJob kept = Kept("old-7", "k1");
  proto::TypedInstruction* run = kept.add_instructions();
  proto::TypedInstruction::Mount* mount = run->mutable_run()->add_mounts();
  mount->set_type("cache");
  mount->set_target("/root/.npm");
  auto cancels = Only<CancelOnWorker>(s.WorkerJoined(Keeping("w1", {kept})));
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].job_id, "old-7");
  EXPECT_EQ(s.running(), 0u);
}

TEST(JobAdoptionTest, TwoWorkersKeepingTheSameJobRunItOnce) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  auto cancels = Only<CancelOnWorker>(
      s.WorkerJoined(Keeping("w2", {Kept("old-9", "k1")})));
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_id, "w2");
  EXPECT_EQ(cancels[0].job_id, "old-9");
}

TEST(JobAdoptionTest, AKeptJobWhoseWorkerIsLostIsForgotten) {
  SimulatedClock clock;
  JobScheduler s(&clock, NewLeader());
  s.WorkerJoined(Keeping("w1", {Kept("old-7", "k1")}));
  EXPECT_TRUE(s.WorkerLost("w1", "stream closed").empty());
  EXPECT_EQ(s.running(), 0u);
  s.WorkerJoined(Worker("w2", 1));
  auto assigned = Only<AssignJob>(s.Submit({"b1", 0}, Job("k1")));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].job.job_id(), "new-1");
}

}  // namespace
}  // namespace farm::scheduler
