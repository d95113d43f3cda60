#include "worker/executor/cgroup.h"

#include "gtest/gtest.h"

namespace farm::executor {
namespace {

// The hybrid layout of the build machines (systemd's, with cpu and cpuacct
// apart).
constexpr char kHybrid[] =
    "25 30 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs "
    "tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "27 25 0:25 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "30 25 0:28 / /sys/fs/cgroup/memory rw shared:14 - cgroup cgroup "
    "rw,memory\n"
    "31 25 0:29 / /sys/fs/cgroup/pids rw shared:15 - cgroup cgroup rw,pids\n"
    "32 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw shared:16 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "33 25 0:31 / /sys/fs/cgroup/freezer rw shared:17 - cgroup cgroup "
    "rw,freezer\n"
    "40 1 0:40 / /work/root/snap\\040shot/merged rw - overlay overlay "
    "rw,lowerdir=l/a\n";

constexpr char kV2[] =
    "25 30 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - cgroup2 "
    "cgroup2 rw,nsdelegate,memory_recursiveprot\n";

TEST(CgroupMountsTest, HybridKeepsControllersOnV1) {
  CgroupMounts mounts = ParseCgroupMounts(kHybrid);
  EXPECT_FALSE(mounts.v2());
  EXPECT_EQ(mounts.unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts.Dir("memory", "/farm-worker-1/x"),
            "/sys/fs/cgroup/memory/farm-worker-1/x");
  EXPECT_EQ(mounts.Dir("cpu", "/a"), "/sys/fs/cgroup/cpu,cpuacct/a");
  EXPECT_EQ(mounts.Dir("rdma", "/a"), "");
  EXPECT_EQ(mounts.v1.at("name=systemd"), "/sys/fs/cgroup/systemd");
  EXPECT_FALSE(mounts.v1.count("xattr"));
  // Every hierarchy once, cpu and cpuacct sharing theirs.
  EXPECT_EQ(mounts.AllDirs("/p"),
            (std::vector<std::string>{
                "/sys/fs/cgroup/cpu,cpuacct/p", "/sys/fs/cgroup/freezer/p",
                "/sys/fs/cgroup/memory/p", "/sys/fs/cgroup/pids/p",
                "/sys/fs/cgroup/systemd/p", "/sys/fs/cgroup/unified/p"}));
}

TEST(CgroupMountsTest, PureV2) {
  CgroupMounts mounts = ParseCgroupMounts(kV2);
  EXPECT_TRUE(mounts.v2());
  EXPECT_EQ(mounts.Dir("memory", "/farm-worker-1/x"),
            "/sys/fs/cgroup/farm-worker-1/x");
  EXPECT_EQ(mounts.Dir("pids", "/a"), "/sys/fs/cgroup/a");
  EXPECT_EQ(mounts.AllDirs("/a"), std::vector<std::string>{"/sys/fs/cgroup/a"});
}

TEST(CgroupMountsTest, MountInfoUnescapesMountPoints) {
  std::vector<MountEntry> entries = ParseMountInfo(kHybrid);
  ASSERT_EQ(entries.size(), 8u);
  EXPECT_EQ(entries.back().mount_point, "/work/root/snap shot/merged");
  EXPECT_EQ(entries.back().type, "overlay");
  EXPECT_EQ(entries[3].options, "rw,memory");
}

TEST(CgroupMountsTest, ThisMachineHasMemoryAndPids) {
  absl::StatusOr<CgroupMounts> mounts = FindCgroupMounts();
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_NE(mounts->Dir("memory", "/x"), "");
  EXPECT_NE(mounts->Dir("pids", "/x"), "");
}

TEST(CgroupTest, RefusesToKillTheRoot) {
  CgroupMounts mounts = ParseCgroupMounts(kV2);
  EXPECT_EQ(KillCgroupTree(mounts, "/").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KillCgroupTree(mounts, "relative").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(KillCgroupTree(mounts, "/farm-test-does-not-exist").ok());
}

}  // namespace
}  // namespace farm::executor
