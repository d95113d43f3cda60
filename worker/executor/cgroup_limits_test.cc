// CgroupLimits and KillCgroupTree on this machine's real cgroups.
#include "worker/executor/cgroup_limits.h"

#include <signal.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

std::string Read(const std::string& file) {
  absl::StatusOr<std::string> text = ReadFile(file);
  return text.ok() ? std::string(absl::StripSuffix(*text, "\n"))
                   : text.status().ToString();
}

class CgroupLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<CgroupMounts> mounts = FindCgroupMounts();
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    mounts_ = *mounts;
    parent_ = absl::StrCat("/farm-test-", getpid());
  }
  void TearDown() override {
    EXPECT_TRUE(KillCgroupTree(mounts_, parent_).ok());
    for (const std::string& dir : mounts_.AllDirs(parent_)) {
      EXPECT_FALSE(PathExists(dir)) << dir;
    }
  }

  CgroupMounts mounts_;
  std::string parent_;
};

TEST_F(CgroupLimitsTest, SetsEveryLimitAndRemovesItself) {
  ResourceLimits limits;
  limits.memory_bytes = uint64_t{64} << 20;
  limits.pids = 10;
  limits.cpus = 0.5;
  const std::string path = parent_ + "/step";
  absl::StatusOr<std::unique_ptr<CgroupLimits>> cgroup =
      CgroupLimits::Create(mounts_, path, limits);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_EQ((*cgroup)->runc_path(), path + "/run");
  const std::string memory = mounts_.Dir("memory", path);
  const std::string cpu = mounts_.Dir("cpu", path);
  EXPECT_EQ(Read(JoinPath(mounts_.Dir("pids", path), "pids.max")), "10");
  if (mounts_.v2()) {
    EXPECT_EQ(Read(JoinPath(memory, "memory.max")), "67108864");
    EXPECT_EQ(Read(JoinPath(cpu, "cpu.max")), "50000 100000");
  } else {
    EXPECT_EQ(Read(JoinPath(memory, "memory.limit_in_bytes")), "67108864");
    if (PathExists(JoinPath(memory, "memory.memsw.limit_in_bytes"))) {
      EXPECT_EQ(Read(JoinPath(memory, "memory.memsw.limit_in_bytes")),
                "67108864");
    }
    EXPECT_EQ(Read(JoinPath(cpu, "cpu.cfs_quota_us")), "50000");
    EXPECT_EQ(Read(JoinPath(cpu, "cpu.cfs_period_us")), "100000");
  }
  EXPECT_FALSE((*cgroup)->OomKilled());
  EXPECT_FALSE((*cgroup)->PidsRefused());
  ASSERT_TRUE((*cgroup)->Remove().ok());
  for (const std::string& dir : mounts_.AllDirs(path)) {
    EXPECT_FALSE(PathExists(dir)) << dir;
  }
  EXPECT_TRUE((*cgroup)->Remove().ok());  // idempotent
}

TEST_F(CgroupLimitsTest, KillTreeEndsEveryTaskAndRemovesEveryHierarchy) {
  const std::string path = parent_ + "/a/b";
  absl::StatusOr<Subprocess> sleeper = Subprocess::Spawn({"sleep", "100"}, {});
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  // Put it in every hierarchy, as runc does.
  for (const std::string& dir : mounts_.AllDirs(path)) {
    ASSERT_TRUE(MakeDirs(dir, 0755).ok()) << dir;
    absl::Status moved = WriteCgroupFile(JoinPath(dir, "cgroup.procs"),
                                         absl::StrCat(sleeper->pid()));
    // cpuset needs cpus and mems first; runc sets them, this test does not.
    if (!absl::StrContains(dir, "cpuset")) ASSERT_TRUE(moved.ok()) << moved;
  }
  ASSERT_TRUE(KillCgroupTree(mounts_, parent_).ok());
  absl::StatusOr<int> code = sleeper->Wait();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 128 + SIGKILL);
  for (const std::string& dir : mounts_.AllDirs(parent_)) {
    EXPECT_FALSE(PathExists(dir)) << dir;
  }
}

}  // namespace
}  // namespace farm::executor
