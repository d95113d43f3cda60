// What Docker's seccomp profile adds to one RUN: `true` in a busybox rootfs
// through RuncExecutor, N times with the profile and N times without
// (ProcessSpec::seccomp = false), alternating so that drift in the machine's
// load falls on both. Prints the medians and the median of the pairwise
// differences. Needs root and runc.
//
//   bazel run //bench:executor_seccomp_bench -- [N=50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/executor_bench_setup.h"
#include "common/fs.h"
#include "worker/executor/runc_executor.h"

namespace farm::executor {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Milliseconds one Run of `true` takes; negative when it failed.
double TimeRun(RuncExecutor& executor, const std::string& rootfs,
               bool seccomp) {
  ProcessSpec spec;
  spec.args = {"/bin/true"};
  spec.network = NetworkMode::kNone;  // the network sandbox is not measured
  spec.seccomp = seccomp;
  LineRecorder output;
  Cancellation cancel;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ExitStatus> status =
      executor.Run(rootfs, spec, output, cancel);
  auto end = std::chrono::steady_clock::now();
  if (!status.ok() || !status->success()) {
    fprintf(stderr, "run failed: %s\n",
            status.ok() ? "non-zero exit" : status.status().ToString().c_str());
    return -1;
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

int Main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 50;
  absl::StatusOr<bench::ExecutorBenchSetup> setup =
      bench::SetUpExecutorBench("seccomp-bench");
  if (!setup.ok()) {
    fprintf(stderr, "setup failed: %s\n", setup.status().ToString().c_str());
    return 1;
  }
  const std::string& rootfs = setup->rootfs;
  RuncExecutor& executor = *setup->executor;
  for (int i = 0; i < 3; ++i) {  // warm the page cache and runc
    TimeRun(executor, rootfs, true);
    TimeRun(executor, rootfs, false);
  }
  std::vector<double> with, without, differences;
  for (int i = 0; i < n; ++i) {
    const bool first = i % 2 == 0;  // which goes first alternates too
    double a = TimeRun(executor, rootfs, first);
    double b = TimeRun(executor, rootfs, !first);
    if (a < 0 || b < 0) return 1;
    with.push_back(first ? a : b);
    without.push_back(first ? b : a);
    differences.push_back(with.back() - without.back());
  }
  RemoveAll(setup->dir).IgnoreError();
  printf("runs: %d each, alternating\n", n);
  printf("median with seccomp:    %.2f ms\n", Median(with));
  printf("median without seccomp: %.2f ms\n", Median(without));
  printf("median of (with - without) per pair: %.2f ms\n", Median(differences));
  return 0;
}

}  // namespace
}  // namespace farm::executor

int main(int argc, char** argv) { return farm::executor::Main(argc, argv); }
