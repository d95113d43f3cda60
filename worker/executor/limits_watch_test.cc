#include "worker/executor/limits_watch.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

// Probes that tests set by hand.
struct FakeCgroup {
  bool oom = false;
  bool refused = false;
  int64_t peak = -1;
  uint64_t disk = 0;
  int disk_walks = 0;

  LimitsWatch::Probes Probes() {
    LimitsWatch::Probes probes;
    probes.oom_killed = [this] { return oom; };
    probes.pids_refused = [this] { return refused; };
    probes.pids_peak = [this] { return peak; };
    probes.disk_bytes = [this]() -> absl::StatusOr<uint64_t> {
      ++disk_walks;
      return disk;
    };
    return probes;
  }
};

ResourceLimits Limits() {
  ResourceLimits limits;
  limits.memory_bytes = uint64_t{64} << 20;
  limits.pids = 32;
  limits.timeout = absl::Seconds(10);
  limits.disk_bytes = uint64_t{1} << 30;
  return limits;
}

TEST(LimitsWatchTest, NothingReachedWhileWithinLimits) {
  SimulatedClock clock;
  FakeCgroup cgroup;
  LimitsWatch watch(Limits(), cgroup.Probes(), &clock);
  EXPECT_EQ(watch.UntilNextCheck(), LimitsWatch::kCounterInterval);
  for (int i = 0; i < 50; ++i) {
    clock.Advance(absl::Milliseconds(100));
    EXPECT_EQ(watch.Check(), "");
  }
  EXPECT_EQ(watch.AfterExit(0), "");
}

TEST(LimitsWatchTest, TimeLimitByTheClock) {
  SimulatedClock clock;
  ResourceLimits limits;
  limits.timeout = absl::Seconds(3);
  LimitsWatch watch(limits, {}, &clock);
  clock.Advance(absl::Milliseconds(2950));
  EXPECT_EQ(watch.Check(), "");
  EXPECT_LE(watch.UntilNextCheck(), absl::Milliseconds(50));
  clock.Advance(absl::Milliseconds(50));
  EXPECT_EQ(watch.Check(), "time limit 3s reached");
  // A process that ended on its own was not killed for time.
  EXPECT_EQ(watch.AfterExit(0), "");
}

TEST(LimitsWatchTest, MemoryAndPidsFromTheCgroup) {
  SimulatedClock clock;
  FakeCgroup cgroup;
  LimitsWatch watch(Limits(), cgroup.Probes(), &clock);
  cgroup.refused = true;
  // Counters are read every kCounterInterval, not at every call.
  EXPECT_EQ(watch.Check(), "");
  clock.Advance(LimitsWatch::kCounterInterval);
  EXPECT_EQ(watch.Check(), "pids limit 32 reached");
  cgroup.oom = true;
  clock.Advance(LimitsWatch::kCounterInterval);
  EXPECT_EQ(watch.Check(), "memory limit 64 MiB reached");
}

TEST(LimitsWatchTest, UnsetLimitsAreNotWatched) {
  SimulatedClock clock;
  FakeCgroup cgroup;
  cgroup.oom = cgroup.refused = true;
  cgroup.disk = uint64_t{1} << 40;
  LimitsWatch watch(ResourceLimits(), cgroup.Probes(), &clock);
  clock.Advance(absl::Hours(10));
  EXPECT_EQ(watch.Check(), "");
  EXPECT_EQ(watch.AfterExit(137), "");
  EXPECT_EQ(cgroup.disk_walks, 0);
  EXPECT_EQ(watch.UntilNextCheck(), absl::InfiniteDuration());
}

TEST(LimitsWatchTest, DiskBudgetWalksBackOffWhenSlow) {
  SimulatedClock clock;
  FakeCgroup cgroup;
  LimitsWatch::Probes probes = cgroup.Probes();
  // Each walk takes 200 ms of the clock.
  probes.disk_bytes = [&]() -> absl::StatusOr<uint64_t> {
    ++cgroup.disk_walks;
    clock.Advance(absl::Milliseconds(200));
    return cgroup.disk;
  };
  ResourceLimits limits;
  limits.disk_bytes = 1000;
  LimitsWatch watch(limits, probes, &clock);
  clock.Advance(LimitsWatch::kDiskInterval);
  EXPECT_EQ(watch.Check(), "");
  EXPECT_EQ(cgroup.disk_walks, 1);
  // The next walk waits 4 × 200 ms, not 250 ms.
  clock.Advance(absl::Milliseconds(700));
  watch.Check();
  EXPECT_EQ(cgroup.disk_walks, 1);
  cgroup.disk = 1001;
  clock.Advance(absl::Milliseconds(100));
  EXPECT_EQ(watch.Check(), "disk budget 1000 B reached");
  EXPECT_EQ(cgroup.disk_walks, 2);
}

TEST(LimitsWatchTest, AfterExitReadsEverythingOnceMore) {
  SimulatedClock clock;
  {
    FakeCgroup cgroup;
    LimitsWatch watch(Limits(), cgroup.Probes(), &clock);
    cgroup.oom = true;  // killed just before the exit
    EXPECT_EQ(watch.AfterExit(137), "memory limit 64 MiB reached");
  }
  {
    FakeCgroup cgroup;
    LimitsWatch watch(Limits(), cgroup.Probes(), &clock);
    cgroup.disk = uint64_t{2} << 30;  // wrote it all between two walks
    EXPECT_EQ(watch.AfterExit(0), "disk budget 1 GiB reached");
  }
  {
    // A step that held all its pids at once and then failed.
    FakeCgroup cgroup;
    cgroup.peak = 32;
    LimitsWatch watch(Limits(), cgroup.Probes(), &clock);
    EXPECT_EQ(watch.AfterExit(0), "");
    EXPECT_EQ(watch.AfterExit(2), "pids limit 32 reached");
    cgroup.peak = 31;
    EXPECT_EQ(watch.AfterExit(2), "");
  }
}

TEST(DiskBytesUnderTest, CountsBlocksAndHardLinksOnce) {
  absl::StatusOr<std::string> dir = MakeTempDir("disk-bytes");
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<uint64_t> empty = DiskBytesUnder(*dir);
  ASSERT_TRUE(empty.ok()) << empty.status();
  ASSERT_TRUE(MakeDirs(JoinPath(*dir, "a/b/c")).ok());
  const std::string big = JoinPath(*dir, "a/b/c/big");
  ASSERT_TRUE(WriteFile(big, std::string(1 << 20, 'x')).ok());
  ASSERT_EQ(link(big.c_str(), JoinPath(*dir, "a/again").c_str()), 0);
  ASSERT_EQ(symlink("/etc", JoinPath(*dir, "etc").c_str()), 0);
  absl::StatusOr<uint64_t> bytes = DiskBytesUnder(*dir);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_GE(*bytes - *empty, uint64_t{1} << 20);
  EXPECT_LT(*bytes - *empty, (uint64_t{1} << 20) + (64 << 10));
  EXPECT_EQ(DiskBytesUnder(JoinPath(*dir, "missing")).status().code(),
            absl::StatusCode::kNotFound);
  RemoveAll(*dir).IgnoreError();
}

}  // namespace
}  // namespace farm::executor
