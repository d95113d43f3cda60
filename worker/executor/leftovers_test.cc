// CleanLeftovers against what a worker killed with SIGKILL leaves: a runc
// container still running `sleep` in its cgroup, and an overlay mounted
// under the root.
#include "worker/executor/leftovers.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/executor/cgroup.h"
#include "worker/executor/runc_test_util.h"

namespace farm::executor {
namespace {

// Pids whose command line is exactly `argv` joined by NULs.
std::vector<int> ProcessesRunning(const std::vector<std::string>& argv) {
  std::string want;
  for (const std::string& arg : argv) {
    want += arg;
    want.push_back('\0');
  }
  std::vector<int> out;
  absl::StatusOr<std::vector<std::string>> pids = ListDir("/proc");
  if (!pids.ok()) return out;
  for (const std::string& name : *pids) {
    int pid = 0;
    if (!absl::SimpleAtoi(name, &pid)) continue;
    absl::StatusOr<std::string> cmdline =
        ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.ok() && *cmdline == want) {
      out.push_back(pid);
    }
  }
  return out;
}

bool MountedUnder(const std::string& root) {
  absl::StatusOr<std::string> text = ReadFile("/proc/self/mountinfo");
  if (!text.ok()) return true;
  for (const MountEntry& entry : ParseMountInfo(*text)) {
    if (absl::StartsWith(entry.mount_point, root + "/")) return true;
  }
  return false;
}

class LeftoversTest : public RuncTest {
 protected:
  // Whatever an assertion left running goes too.
  void TearDown() override {
    CleanLeftovers(scope_).IgnoreError();
    RuncTest::TearDown();
  }

  LeftoverScope scope_;
};

TEST_F(LeftoversTest, ContainersCgroupsAndMountsOfADeadWorkerGo) {
  const std::string root = JoinPath(base_, "worker-root");
  const std::string runc_root = JoinPath(root, "executor/runc");
  ASSERT_TRUE(MakeDirs(runc_root, 0700).ok());
  absl::StatusOr<std::string> parent = CgroupParentForRoot(root);
  ASSERT_TRUE(parent.ok()) << parent.status();
  scope_.runc_root = runc_root;
  scope_.cgroup_parent = *parent;
  scope_.mount_root = root;
  EXPECT_TRUE(absl::StartsWith(*parent, "/farm-worker-"));
  EXPECT_EQ(parent->size(), std::string("/farm-worker-").size() + 12);
  EXPECT_EQ(*CgroupParentForRoot(root + "/."), *parent);

  // A detached container, as `runc run` leaves one when it is killed.
  const std::string bundle = JoinPath(base_, "bundle");
  ASSERT_TRUE(MakeDirs(bundle, 0700).ok());
  absl::StatusOr<CommandResult> spec =
      RunCommand({"runc", "spec", "--bundle", bundle});
  ASSERT_TRUE(spec.ok() && spec->exit_code == 0);
  nlohmann::json config =
      nlohmann::json::parse(*ReadFile(JoinPath(bundle, "config.json")));
  const std::vector<std::string> sleep = {"sleep", "6001"};
  config["process"]["terminal"] = false;
  config["process"]["args"] = sleep;
  config["root"] = {{"path", rootfs_}, {"readonly", false}};
  const std::string cgroup = *parent + "/farm-leftover/run";
  config["linux"]["cgroupsPath"] = cgroup;
  ASSERT_TRUE(WriteFile(JoinPath(bundle, "config.json"), config.dump()).ok());
  absl::StatusOr<Subprocess> runc =
      Subprocess::Spawn({"runc", "--root", runc_root, "run", "--detach",
                         "--bundle", bundle, "farm-leftover"},
                        {});
  ASSERT_TRUE(runc.ok()) << runc.status();
  ASSERT_EQ(*runc->Wait(), 0);
  // runc returns once the container starts; its init execs `sleep` soon.
  for (int i = 0; i < 100 && ProcessesRunning(sleep).empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(ProcessesRunning(sleep).size(), 1u);

  // An overlay under the root, as a workspace leaves it.
  const std::string work = JoinPath(root, "snapshots/work/7");
  for (const char* sub : {"lower", "upper", "work", "merged"}) {
    ASSERT_TRUE(MakeDirs(JoinPath(work, sub), 0755).ok());
  }
  const std::string options =
      absl::StrCat("lowerdir=", work, "/lower,upperdir=", work,
                   "/upper,workdir=", work, "/work");
  ASSERT_EQ(mount("overlay", JoinPath(work, "merged").c_str(), "overlay", 0,
                  options.c_str()),
            0);
  ASSERT_TRUE(MountedUnder(root));

  absl::Status cleaned = CleanLeftovers(scope_);
  ASSERT_TRUE(cleaned.ok()) << cleaned;

  EXPECT_TRUE(ProcessesRunning(sleep).empty());
  absl::StatusOr<CommandResult> listed =
      RunCommand({"runc", "--root", runc_root, "list", "-q"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->output, "");
  absl::StatusOr<CgroupMounts> mounts = FindCgroupMounts();
  ASSERT_TRUE(mounts.ok());
  for (const std::string& dir : mounts->AllDirs(*parent)) {
    EXPECT_FALSE(PathExists(dir)) << dir;
  }
  EXPECT_FALSE(MountedUnder(root));
  // Empty parents of other roots go; a busy one stays.
  const std::string empty = "/farm-worker-0123456789ab";
  const std::string busy = "/farm-worker-ba9876543210";
  for (const std::string& dir : mounts->AllDirs(empty)) {
    ASSERT_TRUE(MakeDirs(dir, 0755).ok());
  }
  const std::string busy_pids = mounts->Dir("pids", busy);
  ASSERT_TRUE(MakeDirs(JoinPath(busy_pids, "child"), 0755).ok());
  // Nothing left: a second pass has nothing to do.
  EXPECT_TRUE(CleanLeftovers(scope_).ok());
  for (const std::string& dir : mounts->AllDirs(empty)) {
    EXPECT_FALSE(PathExists(dir)) << dir;
  }
  EXPECT_TRUE(PathExists(JoinPath(busy_pids, "child")));
  EXPECT_TRUE(KillCgroupTree(*mounts, busy).ok());
}

TEST_F(LeftoversTest, OtherMountsUnderTheRootStay) {
  const std::string root = JoinPath(base_, "admin-root");
  const std::string disk = JoinPath(root, "snapshots");
  ASSERT_TRUE(MakeDirs(disk, 0700).ok());
  ASSERT_EQ(mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=1m"), 0);
  LeftoverScope scope;
  scope.mount_root = root;
  EXPECT_TRUE(CleanLeftovers(scope).ok());
  EXPECT_TRUE(MountedUnder(root));
  ASSERT_EQ(umount2(disk.c_str(), MNT_DETACH), 0);
}

}  // namespace
}  // namespace farm::executor

namespace farm::executor {
namespace {

// A parent is empty between two RUN steps: another worker's start-up sweep
// must keep the one a live worker leases, and still take a forgotten one.
TEST(CgroupParentLeaseTest, ALeasedParentSurvivesAnotherWorkersSweep) {
  absl::StatusOr<CgroupMounts> mounts = FindCgroupMounts();
  if (!mounts.ok()) GTEST_SKIP() << mounts.status();
  const std::string suffix = absl::StrCat(getpid());
  const std::string leased = "/farm-worker-leased" + suffix;
  const std::string forgotten = "/farm-worker-forgotten" + suffix;
  for (const std::string& name : {leased, forgotten}) {
    for (const std::string& dir : mounts->AllDirs(name)) {
      ASSERT_TRUE(MakeDirs(dir, 0755).ok()) << dir;
    }
  }
  CgroupParentLease lease = CgroupParentLease::Take(leased);
  ASSERT_TRUE(lease.held());
  LeftoverScope other;  // another worker, on another root, starting
  other.cgroup_parent = "/farm-worker-other" + suffix;
  EXPECT_TRUE(CleanLeftovers(other).ok());
  for (const std::string& dir : mounts->AllDirs(leased)) {
    EXPECT_TRUE(IsDirectory(dir)) << dir;
    rmdir(dir.c_str());
  }
  for (const std::string& dir : mounts->AllDirs(forgotten)) {
    EXPECT_FALSE(IsDirectory(dir)) << dir;
  }
}

}  // namespace
}  // namespace farm::executor
