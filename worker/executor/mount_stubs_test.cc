#include "worker/executor/mount_stubs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr time_t kOld = 1000000000;

class MountStubsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("stubs");
    ASSERT_TRUE(dir.ok());
    base_ = *dir;
    root_ = JoinPath(base_, "rootfs");
    ASSERT_TRUE(MakeDirs(JoinPath(root_, "etc")).ok());
    ASSERT_TRUE(
        WriteFile(JoinPath(root_, "etc/passwd"), "root:x:0:0::/:/bin/sh\n")
            .ok());
    SetOld("etc");
    SetOld("");
  }
  void TearDown() override { RemoveAll(base_).IgnoreError(); }

  void SetOld(const std::string& rel) {
    const struct timespec times[2] = {{kOld, 0}, {kOld, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, JoinPath(root_, rel).c_str(), times,
                        AT_SYMLINK_NOFOLLOW),
              0);
  }
  struct stat Stat(const std::string& rel) {
    struct stat st = {};
    EXPECT_EQ(lstat(JoinPath(root_, rel).c_str(), &st), 0) << rel;
    return st;
  }
  bool Exists(const std::string& rel) {
    return PathExists(JoinPath(root_, rel));
  }

  static std::vector<MountStubs::Target> RuntimeTargets() {
    return {{"/proc", false},           {"/dev", false},
            {"/dev/pts", false},        {"/sys", false},
            {"/etc/resolv.conf", true}, {"/etc/hosts", true},
            {"/sys/fs/cgroup", false},  {"/mnt/cache/go", false}};
  }

  std::string base_, root_;
};

TEST_F(MountStubsTest, CreatesMissingTargetsAndRemovesThemAgain) {
  absl::StatusOr<MountStubs> stubs =
      MountStubs::Create(root_, RuntimeTargets());
  ASSERT_TRUE(stubs.ok()) << stubs.status();
  // Targets under an earlier target (/dev/pts, /sys/fs/cgroup) are runc's.
  EXPECT_THAT(stubs->created(),
              ElementsAre("proc", "dev", "sys", "etc/resolv.conf", "etc/hosts",
                          "mnt", "mnt/cache", "mnt/cache/go"));
  EXPECT_TRUE(S_ISDIR(Stat("proc").st_mode));
  EXPECT_TRUE(S_ISREG(Stat("etc/hosts").st_mode));
  EXPECT_EQ(Stat("mnt/cache").st_mode & 07777, 0755u);
  EXPECT_FALSE(Exists("dev/pts"));

  ASSERT_TRUE(stubs->Remove().ok());
  for (const char* rel :
       {"proc", "dev", "sys", "etc/resolv.conf", "etc/hosts", "mnt"}) {
    EXPECT_FALSE(Exists(rel)) << rel;
  }
  EXPECT_TRUE(Exists("etc/passwd"));
  // Untouched parents get their old times back.
  EXPECT_EQ(Stat("").st_mtim.tv_sec, kOld);
  EXPECT_EQ(Stat("etc").st_mtim.tv_sec, kOld);
  EXPECT_EQ(Stat("etc").st_atim.tv_sec, kOld);
  EXPECT_THAT(stubs->created(), IsEmpty());
  EXPECT_TRUE(stubs->Remove().ok());  // again: nothing to do
}

TEST_F(MountStubsTest, UnmanagedTargetsAndThoseBelowThemAreLeftToRunc) {
  absl::StatusOr<MountStubs> stubs =
      MountStubs::Create(root_, {{"/dev", false, /*manage=*/false},
                                 {"/dev/pts", false},
                                 {"/etc/hosts", true}});
  ASSERT_TRUE(stubs.ok()) << stubs.status();
  EXPECT_THAT(stubs->created(), ElementsAre("etc/hosts"));
  EXPECT_FALSE(Exists("dev"));
  ASSERT_TRUE(stubs->Remove().ok());
}

TEST_F(MountStubsTest, ExistingTargetsAreLeftAlone) {
  ASSERT_TRUE(MakeDirs(JoinPath(root_, "proc")).ok());
  ASSERT_TRUE(WriteFile(JoinPath(root_, "etc/hosts"), "").ok());
  SetOld("");
  absl::StatusOr<MountStubs> stubs =
      MountStubs::Create(root_, {{"/proc", false}, {"/etc/hosts", true}});
  ASSERT_TRUE(stubs.ok()) << stubs.status();
  EXPECT_THAT(stubs->created(), IsEmpty());
  ASSERT_TRUE(stubs->Remove().ok());
  EXPECT_TRUE(Exists("proc"));
  EXPECT_TRUE(Exists("etc/hosts"));  // empty, but not ours
}

TEST_F(MountStubsTest, StubsThatGainedContentStay) {
  absl::StatusOr<MountStubs> stubs = MountStubs::Create(
      root_, {{"/run/secrets/token", true}, {"/data", false}});
  ASSERT_TRUE(stubs.ok()) << stubs.status();
  // The "process" writes into the stub file and adds a file beside it.
  ASSERT_TRUE(WriteFile(JoinPath(root_, "run/secrets/token"), "leaked?").ok());
  ASSERT_TRUE(WriteFile(JoinPath(root_, "run/other"), "x").ok());
  ASSERT_TRUE(stubs->Remove().ok());
  EXPECT_TRUE(Exists("run/secrets/token"));
  EXPECT_TRUE(Exists("run/other"));
  EXPECT_FALSE(Exists("data"));
}

TEST_F(MountStubsTest, AParentChangedByTheRunKeepsItsNewTime) {
  absl::StatusOr<MountStubs> stubs =
      MountStubs::Create(root_, {{"/etc/hosts", true}});
  ASSERT_TRUE(stubs.ok());
  // The run adds /etc/motd and so changes /etc's mtime.
  struct timespec run_time = {kOld + 5000, 0};
  ASSERT_TRUE(WriteFile(JoinPath(root_, "etc/motd"), "hi").ok());
  const struct timespec times[2] = {run_time, run_time};
  ASSERT_EQ(utimensat(AT_FDCWD, JoinPath(root_, "etc").c_str(), times, 0), 0);
  ASSERT_TRUE(stubs->Remove().ok());
  EXPECT_FALSE(Exists("etc/hosts"));
  EXPECT_EQ(Stat("etc").st_mtim.tv_sec, kOld + 5000);
}

TEST_F(MountStubsTest, SymlinkedTargetsResolveInsideTheRootfs) {
  std::string outside = JoinPath(base_, "outside");
  ASSERT_TRUE(MakeDirs(outside).ok());
  // /etc/resolv.conf -> /run/resolv.conf (missing), /cache -> host dir.
  ASSERT_EQ(symlink("/run/systemd/resolv.conf",
                    JoinPath(root_, "etc/resolv.conf").c_str()),
            0);
  ASSERT_EQ(symlink(outside.c_str(), JoinPath(root_, "cache").c_str()), 0);
  absl::StatusOr<MountStubs> stubs = MountStubs::Create(
      root_, {{"/etc/resolv.conf", true}, {"/cache/x", false}});
  ASSERT_TRUE(stubs.ok()) << stubs.status();
  EXPECT_TRUE(S_ISREG(Stat("run/systemd/resolv.conf").st_mode));
  EXPECT_TRUE(S_ISDIR(Stat(JoinPath(outside.substr(1), "x")).st_mode));
  ASSERT_TRUE(ListDir(outside).ok());
  EXPECT_THAT(*ListDir(outside), IsEmpty());  // nothing created on the host
  ASSERT_TRUE(stubs->Remove().ok());
  EXPECT_FALSE(Exists("run"));
  EXPECT_FALSE(
      Exists(outside.substr(1).substr(0, outside.substr(1).find('/'))));
  EXPECT_TRUE(S_ISLNK(Stat("etc/resolv.conf").st_mode));
}

TEST_F(MountStubsTest, AStubSwappedForASymlinkIsNotFollowedOnRemoval) {
  std::string outside = JoinPath(base_, "outside");
  ASSERT_TRUE(MakeDirs(JoinPath(outside, "empty")).ok());
  absl::StatusOr<MountStubs> stubs =
      MountStubs::Create(root_, {{"/mnt/empty", false}});
  ASSERT_TRUE(stubs.ok());
  // The run replaces /mnt with a link to a host directory holding "empty".
  ASSERT_TRUE(RemoveAll(JoinPath(root_, "mnt")).ok());
  ASSERT_EQ(symlink(outside.c_str(), JoinPath(root_, "mnt").c_str()), 0);
  ASSERT_TRUE(stubs->Remove().ok());
  EXPECT_TRUE(IsDirectory(JoinPath(outside, "empty")));
  EXPECT_TRUE(S_ISLNK(Stat("mnt").st_mode));
}

TEST_F(MountStubsTest, FailureRemovesWhatWasMade) {
  // /etc/passwd is a file, so /etc/passwd/x cannot be made.
  absl::StatusOr<MountStubs> stubs =
      MountStubs::Create(root_, {{"/proc", false}, {"/etc/passwd/x", false}});
  EXPECT_FALSE(stubs.ok());
  EXPECT_THAT(std::string(stubs.status().message()),
              ::testing::HasSubstr("preparing mount point /etc/passwd/x"));
  EXPECT_FALSE(Exists("proc"));
  EXPECT_EQ(Stat("").st_mtim.tv_sec, kOld);
}

}  // namespace
}  // namespace farm::executor
