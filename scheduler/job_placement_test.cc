// JobScheduler's placement by platform: native workers first, emulating
// ones after a wait, and a clear failure when no worker runs a platform.
#include "gtest/gtest.h"
#include "scheduler/actions_testing.h"
#include "scheduler/job_scheduler.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

constexpr char kAmd64[] = "linux/amd64";
constexpr char kArm64[] = "linux/arm64";

using testing::Only;

proto::StageJob JobFor(const std::string& key, const std::string& platform) {
  proto::StageJob job;
  job.add_keys(key);
  job.set_platform(platform);
  return job;
}

proto::JobResult Ok(const std::string& job_id) {
  proto::JobResult r;
  r.set_job_id(job_id);
  r.set_ok(true);
  return r;
}

using testing::WorkerFor;

JobSchedulerOptions Options() {
  JobSchedulerOptions options;
  options.lease = absl::Minutes(10);  // no lease runs out in these tests
  options.emulation_wait = absl::Seconds(5);
  return options;
}

TEST(JobPlacementTest, EachPlatformGoesToTheWorkerThatRunsIt) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(WorkerFor("amd", {kAmd64}, {}, 4));
  s.WorkerJoined(WorkerFor("arm", {kArm64}, {}, 4));
  auto arm = Only<AssignJob>(s.Submit({"b", 0}, JobFor("k1", kArm64)));
  auto amd = Only<AssignJob>(s.Submit({"b", 1}, JobFor("k2", kAmd64)));
  auto unset = Only<AssignJob>(s.Submit({"b", 2}, JobFor("k3", "")));
  ASSERT_EQ(arm.size(), 1u);
  ASSERT_EQ(amd.size(), 1u);
  ASSERT_EQ(unset.size(), 1u);
  EXPECT_EQ(arm[0].worker_id, "arm");
  EXPECT_EQ(amd[0].worker_id, "amd");
  EXPECT_EQ(unset[0].worker_id, "amd");  // no platform: linux/amd64
}

TEST(JobPlacementTest, AWaitingPlatformHoldsUpNoOther) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(WorkerFor("arm", {kArm64}, {}, 1));
  s.WorkerJoined(WorkerFor("amd", {kAmd64}, {}, 1));
  EXPECT_EQ(Only<AssignJob>(s.Submit({"b", 0}, JobFor("a1", kArm64))).size(),
            1u);
  // The arm64 worker is full: the next arm64 job waits at the front...
  EXPECT_TRUE(
      Only<AssignJob>(s.Submit({"b", 1}, JobFor("a2", kArm64))).empty());
  // ...and an amd64 job queued after it still starts at once.
  auto amd = Only<AssignJob>(s.Submit({"b", 2}, JobFor("x1", kAmd64)));
  ASSERT_EQ(amd.size(), 1u);
  EXPECT_EQ(amd[0].worker_id, "amd");
  EXPECT_EQ(s.queued(), 1u);
  auto next = Only<AssignJob>(s.JobResultFrom("arm", Ok("job-1")));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].worker_id, "arm");
  EXPECT_EQ(next[0].job.job_id(), "job-2");
}

TEST(JobPlacementTest, EmulationTakesOverOnlyAfterTheWait) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(WorkerFor("arm", {kArm64}, {}, 1));
  s.WorkerJoined(WorkerFor("qemu", {kAmd64}, {kArm64}, 2));
  auto first = Only<AssignJob>(s.Submit({"b", 0}, JobFor("a1", kArm64)));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].worker_id, "arm");  // native first, though qemu is freer
  EXPECT_TRUE(
      Only<AssignJob>(s.Submit({"b", 1}, JobFor("a2", kArm64))).empty());
  clock.Advance(absl::Seconds(4));
  EXPECT_TRUE(Only<AssignJob>(s.Tick()).empty());
  clock.Advance(absl::Seconds(1));
  auto emulated = Only<AssignJob>(s.Tick());
  ASSERT_EQ(emulated.size(), 1u);
  EXPECT_EQ(emulated[0].worker_id, "qemu");
  EXPECT_EQ(emulated[0].job.job_id(), "job-2");
}

TEST(JobPlacementTest, WithoutANativeWorkerEmulationIsUsedAtOnce) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(WorkerFor("qemu", {kAmd64}, {kArm64}, 2));
  auto assigned = Only<AssignJob>(s.Submit({"b", 0}, JobFor("a1", kArm64)));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "qemu");
}

TEST(JobPlacementTest, APlatformNoWorkerRunsFailsNamingWhatTheyRun) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  // With no worker connected at all, the job waits as every job does.
  EXPECT_TRUE(
      Only<JobDone>(s.Submit({"b", 0}, JobFor("s1", "linux/s390x"))).empty());
  auto done =
      Only<JobDone>(s.WorkerJoined(WorkerFor("qemu", {kAmd64}, {kArm64}, 2)));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(done[0].status.message(),
            "no worker can run linux/s390x: connected workers run linux/amd64 "
            "(native), linux/arm64 (emulated)");
  EXPECT_EQ(s.queued(), 0u);
  // The same for a job submitted later; other platforms are unaffected.
  EXPECT_EQ(
      Only<JobDone>(s.Submit({"c", 0}, JobFor("s2", "linux/s390x"))).size(),
      1u);
  EXPECT_EQ(Only<AssignJob>(s.Submit({"c", 1}, JobFor("a", kArm64))).size(),
            1u);
}

TEST(JobPlacementTest, ARetriedJobKeepsItsPlatform) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(WorkerFor("arm1", {kArm64}, {}, 1));
  s.WorkerJoined(WorkerFor("amd", {kAmd64}, {}, 1));
  ASSERT_EQ(Only<AssignJob>(s.Submit({"b", 0}, JobFor("a1", kArm64))).size(),
            1u);
  // Its worker is lost and the only one left runs amd64: it fails clearly
  // rather than landing on a worker that cannot run it.
  auto done = Only<JobDone>(s.WorkerLost("arm1", "test"));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace farm::scheduler
