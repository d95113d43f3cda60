// Worker registration in the hub: a live worker is never evicted by a
// second registration of its id, and slots are capped.
#include "scheduler/scheduler_core.h"

#include "common/digest.h"
#include "gtest/gtest.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

using testing::Worker;

TEST(SchedulerCoreTest, ASecondRegistrationOfALiveIdIsRefused) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> first =
      core.WorkerJoined(Worker("w1"));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> impostor =
      core.WorkerJoined(Worker("w1"));
  EXPECT_EQ(impostor.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(impostor.status().message().find("w1"), std::string::npos);
  EXPECT_FALSE((*first)->closed());  // the live one keeps its stream
  ASSERT_EQ(core.ListWorkers().workers_size(), 1);

  // Once it has gone, its id may register again.
  core.WorkerLost("w1", "its connection closed", first->get());
  EXPECT_TRUE(core.WorkerJoined(Worker("w1")).ok());
}

TEST(SchedulerCoreTest, ALapsedLeaseFreesTheId) {
  SimulatedClock clock;
  JobSchedulerOptions options;
  options.lease = absl::Seconds(10);
  SchedulerCore core(&clock, options);
  ASSERT_TRUE(core.WorkerJoined(Worker("w1")).ok());
  clock.Advance(absl::Seconds(11));
  core.Tick();
  EXPECT_TRUE(core.WorkerJoined(Worker("w1")).ok());
}

TEST(SchedulerCoreTest, SlotsAreCapped) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{}, /*max_slots_per_worker=*/8);
  ASSERT_TRUE(core.WorkerJoined(Worker("greedy", 1'000'000)).ok());
  ASSERT_EQ(core.ListWorkers().workers_size(), 1);
  EXPECT_EQ(core.ListWorkers().workers(0).slots(), 8);
}

// The assignment a worker's outbox holds next.
proto::StageJob NextAssignment(WorkerOutbox& outbox) {
  while (std::optional<proto::SchedulerMessage> m =
             outbox.Pop(absl::ZeroDuration())) {
    if (m->has_assign()) return m->assign();
  }
  ADD_FAILURE() << "no assignment";
  return proto::StageJob();
}

TEST(SchedulerCoreTest, JobsThatMountACacheCarryTheirWorkersGrant) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> outbox =
      core.WorkerJoined(Worker("w1", 4));
  ASSERT_TRUE(outbox.ok());
  proto::StageJob cached;
  cached.add_keys(Digest::Of("k1").ToString());
  cached.set_tenant("team-a");
  proto::TypedInstruction::Mount* mount =
      cached.add_instructions()->mutable_run()->add_mounts();
  mount->set_type("cache");
  mount->set_target("/root/.npm");
  core.Submit("b1", 0, cached);
  const std::string grant = NextAssignment(**outbox).cache_mount_grant();
  ASSERT_FALSE(grant.empty());
  EXPECT_EQ(*core.cache_mount_grants()->TenantOf(grant), "team-a");

  proto::StageJob plain;
  plain.add_keys(Digest::Of("k2").ToString());
  plain.set_tenant("team-a");
  plain.add_instructions()->mutable_run();
  core.Submit("b1", 1, plain);
  EXPECT_TRUE(NextAssignment(**outbox).cache_mount_grant().empty());

  // The grant goes with its worker.
  core.WorkerLost("w1", "its connection closed", outbox->get());
  EXPECT_EQ(core.cache_mount_grants()->TenantOf(grant).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// Records what a build hears.
class Recorder : public BuildListener {
 public:
  void OnJobDone(int stage, const absl::Status& status,
                 const proto::StageOutput&) override {
    done.push_back(status);
  }
  void OnJobEvent(int stage, const proto::BuildEvent&) override {
    event_stages.push_back(stage);
  }
  std::vector<absl::Status> done;
  std::vector<int> event_stages;
};

TEST(SchedulerCoreTest, WorkWithNoWorkerCallsForOneAndCanBeFailed) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  int calls = 0;
  core.SetWorkWithoutWorkersHandler([&calls] { ++calls; });
  Recorder build;
  core.RegisterBuild("b1", &build);
  proto::StageJob job;
  job.add_keys(Digest::Of("k1").ToString());
  core.Submit("b1", 0, job);
  EXPECT_EQ(calls, 1);
  // The worker that was to come could not start: the job fails with why.
  core.FailQueuedJobs(absl::UnavailableError("runc is missing"));
  ASSERT_EQ(build.done.size(), 1u);
  EXPECT_EQ(build.done[0].message(), "runc is missing");
  // With a worker connected, nobody is called.
  ASSERT_TRUE(core.WorkerJoined(Worker("w1")).ok());
  job.set_keys(0, Digest::Of("k2").ToString());
  core.Submit("b1", 1, job);
  EXPECT_EQ(calls, 1);
  core.UnregisterBuild("b1");
}

TEST(SchedulerCoreTest, ABuildHearsASharedJobsProgressOnceAndItsEndForEach) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> outbox =
      core.WorkerJoined(Worker("w1"));
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  Recorder one, other;
  core.RegisterBuild("b1", &one);
  core.RegisterBuild("b2", &other);
  proto::StageJob job;
  job.add_keys(Digest::Of("shared").ToString());
  // Two platforms of b1 (as BuildSession numbers them) and a stage of b2.
  core.Submit("b1", 65536, job);
  core.Submit("b1", 1, job);
  core.Submit("b2", 4, job);
  std::string job_id;
  while (std::optional<proto::SchedulerMessage> m =
             (*outbox)->Pop(absl::ZeroDuration())) {
    if (m->has_assign()) job_id = m->assign().job_id();
  }
  ASSERT_FALSE(job_id.empty());
  proto::WorkerMessage event;
  event.mutable_event()->set_job_id(job_id);
  event.mutable_event()->mutable_event()->set_text("hello");
  core.FromWorker("w1", event);
  EXPECT_EQ(one.event_stages, std::vector<int>{1});
  EXPECT_EQ(other.event_stages, std::vector<int>{4});
  proto::WorkerMessage result;
  result.mutable_result()->set_job_id(job_id);
  result.mutable_result()->set_ok(true);
  core.FromWorker("w1", result);
  EXPECT_EQ(one.done.size(), 2u);
  EXPECT_EQ(other.done.size(), 1u);
  core.UnregisterBuild("b1");
  core.UnregisterBuild("b2");
}

TEST(SchedulerCoreTest, AResigningLeaderSendsWorkersNothingMore) {
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> outbox =
      core.WorkerJoined(Worker("w1"));
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  Recorder build;
  core.RegisterBuild("b1", &build);
  proto::StageJob job;
  job.add_keys(Digest::Of("kept").ToString());
  core.Submit("b1", 0, job);
  NextAssignment(**outbox);

  core.CloseWorkerStreams();
  EXPECT_TRUE((*outbox)->closed());
  // The build's client leaves as the server shuts down: its job is not
  // cancelled on the worker, which keeps it for the next leader.
  core.UnregisterBuild("b1");
  EXPECT_FALSE((*outbox)->Pop(absl::ZeroDuration()).has_value());
}

}  // namespace
}  // namespace farm::scheduler
