// What the executor benchmarks start from: a busybox rootfs and a
// RuncExecutor, both under a new temporary directory.
#ifndef FARM_BENCH_EXECUTOR_BENCH_SETUP_H_
#define FARM_BENCH_EXECUTOR_BENCH_SETUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/executor/runc_executor.h"

namespace farm::bench {

struct ExecutorBenchSetup {
  std::string dir;     // the temporary directory, removed by the caller
  std::string rootfs;  // <dir>/rootfs
  std::unique_ptr<executor::RuncExecutor> executor;  // state in <dir>/state
};

// `name` prefixes the temporary directory.
absl::StatusOr<ExecutorBenchSetup> SetUpExecutorBench(const std::string& name);

}  // namespace farm::bench

#endif  // FARM_BENCH_EXECUTOR_BENCH_SETUP_H_
