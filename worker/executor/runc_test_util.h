// Shared setup of the tests that run real containers: a temp dir holding a
// busybox rootfs and the executor's state, and helpers that run a shell
// snippet and collect its output per stream.
#ifndef FARM_WORKER_EXECUTOR_RUNC_TEST_UTIL_H_
#define FARM_WORKER_EXECUTOR_RUNC_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "worker/executor/runc_executor.h"

namespace farm::executor {

struct Outcome {
  absl::StatusOr<ExitStatus> status = absl::UnknownError("not run");
  std::vector<std::string> out;
  std::vector<std::string> err;

  // The exit code, or -1 when Run failed.
  int code() const { return status.ok() ? status->code : -1; }
  // stdout joined with '\n'.
  std::string Out() const;
};

class RuncTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A fresh busybox rootfs under the test's dir.
  std::string NewRootfs(const std::string& name,
                        bool runtime_mount_points = true);
  // Runs `spec` in `rootfs` (default: rootfs_).
  Outcome Run(const ProcessSpec& spec, const std::string& rootfs = "");
  // Runs `/bin/sh -c script` with PATH set.
  Outcome Sh(const std::string& script, ProcessSpec spec = {});
  // Names of the containers runc still knows, and bundles and network
  // sandbox files left behind.
  std::vector<std::string> LeftoverContainers();

  std::string base_;
  std::string rootfs_;
  std::unique_ptr<RuncExecutor> executor_;
  RuncExecutor::Options options_;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_RUNC_TEST_UTIL_H_
