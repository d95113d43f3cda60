#include "bench/executor_bench_setup.h"

#include "common/fs.h"
#include "common/status_macros.h"
#include "tests/fixtures/busybox_rootfs.h"

namespace farm::bench {

absl::StatusOr<ExecutorBenchSetup> SetUpExecutorBench(const std::string& name) {
  ExecutorBenchSetup setup;
  ASSIGN_OR_RETURN(setup.dir, MakeTempDir(name));
  setup.rootfs = JoinPath(setup.dir, "rootfs");
  RETURN_IF_ERROR(MakeDirs(setup.rootfs));
  RETURN_IF_ERROR(fixtures::MakeBusyboxRootfs(setup.rootfs));
  executor::RuncExecutor::Options options;
  options.state_dir = JoinPath(setup.dir, "state");
  ASSIGN_OR_RETURN(setup.executor, executor::RuncExecutor::Create(options));
  return setup;
}

}  // namespace farm::bench
