// Placement by cache mount: a job that mounts a cache goes to the worker its
// (tenant, id) hashes to among the live workers, waits a little for it when
// it is busy, and takes another worker after that.
#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "scheduler/actions_testing.h"
#include "scheduler/cache_mount_affinity.h"
#include "scheduler/job_scheduler.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

constexpr char kAmd64[] = "linux/amd64";

using testing::Only;
using testing::Worker;

// A job of `tenant` with one RUN and the base layer "base".
proto::StageJob PlainJob(const std::string& key, const std::string& tenant) {
  proto::StageJob job;
  job.add_keys("from-" + key);
  job.add_keys(key);
  job.set_tenant(tenant);
  job.add_base_diff_ids("base");
  job.add_instructions()->mutable_run();
  return job;
}

// The same, its RUN mounting a tmpfs and then the cache `id` at `target`.
proto::StageJob CacheJob(const std::string& key, const std::string& tenant,
                         const std::string& id,
                         const std::string& target = "/c") {
  proto::StageJob job = PlainJob(key, tenant);
  auto* run = job.mutable_instructions(0)->mutable_run();
  run->add_mounts()->set_type("tmpfs");
  proto::TypedInstruction::Mount* mount = run->add_mounts();
  mount->set_type("cache");
  mount->set_id(id);
  mount->set_target(target);
  return job;
}

proto::JobResult Ok(const std::string& job_id) {
  proto::JobResult r;
  r.set_job_id(job_id);
  r.set_ok(true);
  return r;
}

Digest Affinity(const std::string& tenant, const std::string& id) {
  return Digest::Of(absl::StrCat(tenant, std::string(1, '\0'), id));
}

// The worker among `ids` (one slot each) that the cache belongs to.
std::string OwnerAmong(const std::vector<std::string>& ids,
                       const std::string& tenant, const std::string& id) {
  WorkerPool pool;
  for (const std::string& worker : ids) {
    pool.Join(Worker(worker, 1), absl::UnixEpoch());
  }
  WorkerState* owner =
      pool.Preferred(Affinity(tenant, id), kAmd64, RunMode::kNative);
  return owner == nullptr ? "" : owner->id;
}

// A cache id of team-a that belongs to `worker` among w1 and w2.
std::string IdOwnedBy(const std::string& worker) {
  for (int i = 0;; ++i) {
    std::string id = absl::StrCat("npm-", i);
    if (OwnerAmong({"w1", "w2"}, "team-a", id) == worker) return id;
  }
}

JobSchedulerOptions Options() {
  JobSchedulerOptions options;
  options.lease = absl::Minutes(10);  // no lease runs out in these tests
  options.cache_mount_wait = absl::Seconds(3);
  return options;
}

TEST(CacheMountAffinityTest, HashesTheTenantAndTheFirstCacheARunWillUse) {
  EXPECT_EQ(CacheMountAffinity(CacheJob("k", "team-a", "npm")),
            Affinity("team-a", "npm"));
  EXPECT_EQ(CacheMountAffinity(CacheJob("k", "team-b", "npm")),
            Affinity("team-b", "npm"));
  // Without an id, the target is the id, as on the worker.
  EXPECT_EQ(CacheMountAffinity(CacheJob("k", "team-a", "", "/root/.npm")),
            Affinity("team-a", "/root/.npm"));
  proto::StageJob plain = PlainJob("k", "team-a");
  EXPECT_FALSE(CacheMountAffinity(plain).has_value());
  EXPECT_FALSE(UsesCacheMounts(plain));

  // A RUN the action cache answered uses no cache; its grant still goes.
  proto::StageJob hit = CacheJob("k", "team-a", "npm");
  hit.set_looked_up(true);
  (*hit.mutable_cached())[1].set_config("{}");
  EXPECT_FALSE(CacheMountAffinity(hit).has_value());
  EXPECT_TRUE(UsesCacheMounts(hit));
  hit.set_no_cache(true);
  EXPECT_EQ(CacheMountAffinity(hit), Affinity("team-a", "npm"));
}

TEST(CacheMountPreferenceTest, AWorkerThatLeavesMovesOnlyItsOwnCaches) {
  const std::vector<std::string> all = {"w1", "w2", "w3", "w4"};
  std::map<std::string, int> shares;
  int moved = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string id = absl::StrCat("cache-", i);
    const std::string before = OwnerAmong(all, "t", id);
    const std::string after = OwnerAmong({"w1", "w2", "w4"}, "t", id);
    ++shares[before];
    if (before != "w3") {
      EXPECT_EQ(after, before) << id;
    } else {
      ++moved;
    }
  }
  EXPECT_EQ(moved, shares["w3"]);
  for (const std::string& worker : all) {
    EXPECT_GT(shares[worker], 60) << worker;  // about 100 each
  }
}

TEST(CacheMountPreferenceTest, DrainingAndOtherPlatformsDoNotCount) {
  WorkerPool pool;
  pool.Join(Worker("w1", 1), absl::UnixEpoch());
  pool.Join(Worker("w2", 1), absl::UnixEpoch());
  proto::RegisterWorker arm = Worker("arm", 1);
  arm.add_native_platforms("linux/arm64");
  pool.Join(arm, absl::UnixEpoch());
  const std::string id = IdOwnedBy("w1");
  EXPECT_EQ(
      pool.Preferred(Affinity("team-a", id), kAmd64, RunMode::kNative)->id,
      "w1");
  proto::Heartbeat draining;
  draining.set_draining(true);
  pool.Heartbeat(*pool.Find("w1"), draining, absl::UnixEpoch());
  EXPECT_EQ(
      pool.Preferred(Affinity("team-a", id), kAmd64, RunMode::kNative)->id,
      "w2");
  EXPECT_EQ(
      pool.Preferred(Affinity("team-a", id), "linux/arm64", RunMode::kNative)
          ->id,
      "arm");
  EXPECT_EQ(
      pool.Preferred(Affinity("team-a", id), "linux/s390x", RunMode::kNative),
      nullptr);
}

TEST(CacheMountPlacementTest, TheCachesWorkerWinsOverLayersAndLoad) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(Worker("w1", 4, {"base"}));
  s.WorkerJoined(Worker("w2", 4));
  const std::string id = IdOwnedBy("w2");
  for (int i = 0; i < 3; ++i) {
    auto assigned = Only<AssignJob>(
        s.Submit({"b", i}, CacheJob(absl::StrCat("k", i), "team-a", id)));
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_EQ(assigned[0].worker_id, "w2") << i;
  }
  // Without a cache mount, the base layers decide as before.
  auto plain = Only<AssignJob>(s.Submit({"b", 9}, PlainJob("p", "team-a")));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].worker_id, "w1");
}

TEST(CacheMountPlacementTest, ABusyCacheWorkerIsWaitedForBriefly) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  const std::string id = IdOwnedBy("w1");
  ASSERT_EQ(Only<AssignJob>(s.Submit({"b", 0}, CacheJob("k0", "team-a", id)))[0]
                .worker_id,
            "w1");
  // w1 is full: the next job of that cache waits although w2 is free...
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b", 1}, CacheJob("k1", "team-a", id)))
                  .empty());
  // ...and w1 takes it when its slot frees within the wait.
  clock.Advance(absl::Seconds(1));
  auto next = Only<AssignJob>(s.JobResultFrom("w1", Ok("job-1")));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].worker_id, "w1");
  EXPECT_EQ(next[0].job.job_id(), "job-2");
}

TEST(CacheMountPlacementTest, AfterTheWaitAnotherWorkerTakesIt) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 2));
  const std::string id = IdOwnedBy("w1");
  s.Submit({"b", 0}, CacheJob("k0", "team-a", id));
  EXPECT_TRUE(Only<AssignJob>(s.Submit({"b", 1}, CacheJob("k1", "team-a", id)))
                  .empty());
  // A job behind the waiting one, without a cache, is not held up.
  auto plain = Only<AssignJob>(s.Submit({"b", 2}, PlainJob("p", "team-a")));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].worker_id, "w2");
  EXPECT_EQ(s.queued(), 1u);

  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(Only<AssignJob>(s.Tick()).empty());
  clock.Advance(absl::Seconds(1));
  auto spilled = Only<AssignJob>(s.Tick());
  ASSERT_EQ(spilled.size(), 1u);
  EXPECT_EQ(spilled[0].worker_id, "w2");
  EXPECT_EQ(spilled[0].job.job_id(), "job-2");
}

TEST(CacheMountPlacementTest, WhenTheCachesWorkerLeavesTheNextOneHasIt) {
  SimulatedClock clock;
  JobScheduler s(&clock, Options());
  s.WorkerJoined(Worker("w1", 1));
  s.WorkerJoined(Worker("w2", 1));
  const std::string id = IdOwnedBy("w1");
  s.WorkerLost("w1", "test");
  auto assigned =
      Only<AssignJob>(s.Submit({"b", 0}, CacheJob("k0", "team-a", id)));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].worker_id, "w2");
}

}  // namespace
}  // namespace farm::scheduler
