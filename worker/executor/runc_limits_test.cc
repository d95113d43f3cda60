// RUN steps that reach their limits, with real runc and real cgroups: each
// is killed with ExitStatus::killed_by naming the limit, its cgroup is gone
// afterwards, and a step within its limits next to it is untouched.
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "worker/executor/cgroup.h"
#include "worker/executor/leftovers.h"
#include "worker/executor/limits.h"
#include "worker/executor/runc_test_util.h"

namespace farm::executor {
namespace {

class RuncLimitsTest : public RuncTest {
 protected:
  void SetUp() override {
    RuncTest::SetUp();
    absl::StatusOr<std::string> parent = CgroupParentForRoot(base_);
    ASSERT_TRUE(parent.ok()) << parent.status();
    parent_ = *parent;
    options_.cgroup_parent = parent_;
    absl::StatusOr<std::unique_ptr<RuncExecutor>> executor =
        RuncExecutor::Create(options_);
    ASSERT_TRUE(executor.ok()) << executor.status();
    executor_ = *std::move(executor);
    absl::StatusOr<CgroupMounts> mounts = FindCgroupMounts();
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    mounts_ = *mounts;
  }

  void TearDown() override {
    // Every run removed its own cgroup; only the parent may remain.
    for (const std::string& dir : mounts_.AllDirs(parent_)) {
      absl::StatusOr<std::vector<std::string>> left = ListDir(dir);
      if (!left.ok()) continue;
      for (const std::string& name : *left) {
        EXPECT_FALSE(IsDirectory(JoinPath(dir, name)))
            << "cgroup left behind: " << JoinPath(dir, name);
      }
    }
    EXPECT_TRUE(KillCgroupTree(mounts_, parent_).ok());
    RuncTest::TearDown();
  }

  // Runs `script` with only `limits` set and expects it killed for
  // `reason` within `within`.
  void ExpectKilled(const std::string& script, const ResourceLimits& limits,
                    const std::string& reason,
                    absl::Duration within = absl::Seconds(20)) {
    ProcessSpec spec;
    spec.limits = limits;
    spec.writable_dir = writable_dir_;
    const absl::Time start = absl::Now();
    Outcome outcome = Sh(script, spec);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.status();
    EXPECT_EQ(outcome.status->killed_by, reason)
        << "exit " << outcome.code() << "\n"
        << outcome.Out();
    EXPECT_FALSE(outcome.status->success());
    EXPECT_LT(absl::Now() - start, within);
  }

  std::string parent_;
  CgroupMounts mounts_;
  std::string writable_dir_;
};

TEST_F(RuncLimitsTest, MemoryHogIsKilledForMemory) {
  ResourceLimits limits;
  limits.memory_bytes = uint64_t{32} << 20;
  ExpectKilled("x=aaaaaaaaaaaaaaaa; while true; do x=\"$x$x\"; done", limits,
               "memory limit 32 MiB reached");
  // Also when the kernel kills a child and the shell carries on: an OOM
  // kill fails the step.
  ExpectKilled(
      "sh -c 'x=aaaaaaaaaaaaaaaa; while true; do x=\"$x$x\"; done'; "
      "echo survived",
      limits, "memory limit 32 MiB reached");
}

TEST_F(RuncLimitsTest, ForkBombIsKilledAtThePidsLimit) {
  ResourceLimits limits;
  limits.pids = 32;
  ExpectKilled("bomb() { bomb | bomb & }; bomb; sleep 60", limits,
               "pids limit 32 reached");
  // A step that fails at once because a fork was refused.
  ExpectKilled("for i in $(seq 64); do sleep 30 & done; echo spawned", limits,
               "pids limit 32 reached");
}

TEST_F(RuncLimitsTest, EndlessLoopIsKilledAtTheTimeLimit) {
  ResourceLimits limits;
  limits.timeout = absl::Seconds(1);
  ExpectKilled("while true; do :; done", limits, "time limit 1s reached",
               absl::Seconds(5));
}

TEST_F(RuncLimitsTest, WritesPastTheDiskBudgetAreKilled) {
  writable_dir_ = JoinPath(rootfs_, "data");
  ASSERT_TRUE(MakeDirs(writable_dir_, 0777).ok());
  ResourceLimits limits;
  limits.disk_bytes = uint64_t{8} << 20;
  ExpectKilled(
      "i=0; while true; do i=$((i+1)); head -c 1048576 /dev/zero > "
      "/data/f$i; done",
      limits, "disk budget 8 MiB reached");
  // Written in one go between two walks: caught after the exit.
  ASSERT_TRUE(RemoveAll(writable_dir_).ok());
  ASSERT_TRUE(MakeDirs(writable_dir_, 0777).ok());
  ExpectKilled("head -c 20971520 /dev/zero > /data/big", limits,
               "disk budget 8 MiB reached");
}

TEST_F(RuncLimitsTest, WithinLimitsNothingIsKilled) {
  ProcessSpec spec;
  spec.limits.memory_bytes = uint64_t{256} << 20;
  spec.limits.pids = 64;
  spec.limits.cpus = 1;
  spec.limits.timeout = absl::Seconds(30);
  spec.limits.disk_bytes = uint64_t{64} << 20;
  spec.writable_dir = rootfs_;
  Outcome outcome =
      Sh("for i in 1 2 3; do sh -c 'echo $$' > /dev/null & done; wait; "
         "head -c 1048576 /dev/zero > /f; echo fine",
         spec);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.status();
  EXPECT_TRUE(outcome.status->success()) << outcome.status->killed_by;
  EXPECT_EQ(outcome.Out(), "fine");
}

TEST_F(RuncLimitsTest, AnInnocentRunNextToAHogFinishes) {
  Outcome hog;
  std::thread thread([&] {
    ProcessSpec spec;
    spec.limits.memory_bytes = uint64_t{32} << 20;
    spec.limits.pids = 32;
    hog =
        Sh("bomb() { bomb | bomb & }; bomb; x=aaaaaaaa; "
           "while true; do x=\"$x$x\"; done",
           spec);
  });
  ProcessSpec spec;
  spec.limits = DefaultRunLimits();
  Outcome innocent = Sh("sleep 1; echo innocent", spec);
  thread.join();
  ASSERT_TRUE(innocent.status.ok()) << innocent.status.status();
  EXPECT_TRUE(innocent.status->success());
  EXPECT_EQ(innocent.Out(), "innocent");
  ASSERT_TRUE(hog.status.ok()) << hog.status.status();
  EXPECT_FALSE(hog.status->killed_by.empty());
}

TEST_F(RuncLimitsTest, CancellationWinsOverLimits) {
  ProcessSpec spec;
  spec.args = {"/bin/sleep", "100"};
  spec.limits.timeout = absl::Seconds(30);
  spec.limits.pids = 16;
  LineRecorder recorder;
  Cancellation cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.Cancel();
  });
  absl::StatusOr<ExitStatus> status =
      executor_->Run(rootfs_, spec, recorder, cancel);
  canceller.join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(RuncLimitsTest, LimitsNeedACgroupParent) {
  options_.cgroup_parent = "";
  absl::StatusOr<std::unique_ptr<RuncExecutor>> plain =
      RuncExecutor::Create(options_);
  ASSERT_TRUE(plain.ok()) << plain.status();
  ProcessSpec spec;
  spec.args = {"/bin/true"};
  spec.limits.memory_bytes = uint64_t{64} << 20;
  LineRecorder recorder;
  Cancellation cancel;
  absl::StatusOr<ExitStatus> status =
      (*plain)->Run(rootfs_, spec, recorder, cancel);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument);
  // Time and disk need no cgroup.
  spec.limits = ResourceLimits();
  spec.limits.timeout = absl::Seconds(1);
  spec.args = {"/bin/sleep", "10"};
  status = (*plain)->Run(rootfs_, spec, recorder, cancel);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->killed_by, "time limit 1s reached");
  options_.cgroup_parent = "relative";
  EXPECT_EQ(RuncExecutor::Create(options_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace farm::executor
