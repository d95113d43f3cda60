#include "worker/executor/runc_test_util.h"

#include "absl/strings/str_join.h"
#include "common/fs.h"
#include "tests/fixtures/busybox_rootfs.h"

namespace farm::executor {

std::string Outcome::Out() const { return absl::StrJoin(out, "\n"); }

void RuncTest::SetUp() {
  absl::StatusOr<std::string> dir = MakeTempDir("runc");
  ASSERT_TRUE(dir.ok()) << dir.status();
  base_ = *dir;
  rootfs_ = NewRootfs("rootfs");
  options_.state_dir = JoinPath(base_, "state");
  absl::StatusOr<std::unique_ptr<RuncExecutor>> executor =
      RuncExecutor::Create(options_);
  ASSERT_TRUE(executor.ok()) << executor.status();
  executor_ = *std::move(executor);
}

void RuncTest::TearDown() {
  EXPECT_TRUE(LeftoverContainers().empty());
  RemoveAll(base_).IgnoreError();
}

std::string RuncTest::NewRootfs(const std::string& name,
                                bool runtime_mount_points) {
  std::string dir = JoinPath(base_, name);
  EXPECT_TRUE(MakeDirs(dir).ok());
  fixtures::BusyboxRootfsOptions options;
  options.runtime_mount_points = runtime_mount_points;
  absl::Status status = fixtures::MakeBusyboxRootfs(dir, options);
  EXPECT_TRUE(status.ok()) << status;
  return dir;
}

Outcome RuncTest::Run(const ProcessSpec& spec, const std::string& rootfs) {
  LineRecorder recorder;
  Cancellation cancel;
  Outcome outcome;
  outcome.status =
      executor_->Run(rootfs.empty() ? rootfs_ : rootfs, spec, recorder, cancel);
  outcome.out = recorder.Texts(Stream::kStdout);
  outcome.err = recorder.Texts(Stream::kStderr);
  return outcome;
}

Outcome RuncTest::Sh(const std::string& script, ProcessSpec spec) {
  spec.args = {"/bin/sh", "-c", script};
  spec.env.push_back(
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return Run(spec);
}

std::vector<std::string> RuncTest::LeftoverContainers() {
  std::vector<std::string> left;
  for (const char* sub : {"runc", "bundles", "netns"}) {
    absl::StatusOr<std::vector<std::string>> names =
        ListDir(JoinPath(options_.state_dir, sub));
    if (names.ok()) left.insert(left.end(), names->begin(), names->end());
  }
  return left;
}

}  // namespace farm::executor
