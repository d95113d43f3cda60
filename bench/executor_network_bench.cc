// What RUN's private network adds to one RUN: `true` in a busybox rootfs
// through RuncExecutor in NetworkMode::kPrivate, kNone and kHost, N times
// each, the order rotating every round so that drift in the machine's load
// falls on all three. Also times the network sandbox alone (namespace and
// slirp4netns up, then down). Prints medians and 90th percentiles, also of
// the differences within each round. Needs root, runc and slirp4netns.
//
//   bazel run //bench:executor_network_bench -- [N=30]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/executor_bench_setup.h"
#include "common/fs.h"
#include "worker/executor/network/network_sandbox.h"
#include "worker/executor/runc_executor.h"

namespace farm::executor {
namespace {

using Clock = std::chrono::steady_clock;

double Millis(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(p * (values.size() - 1) + 0.5)];
}

// Milliseconds one Run of `true` takes; negative when it failed.
double TimeRun(RuncExecutor& executor, const std::string& rootfs,
               NetworkMode mode) {
  ProcessSpec spec;
  spec.args = {"/bin/true"};
  spec.network = mode;
  LineRecorder output;
  Cancellation cancel;
  Clock::time_point start = Clock::now();
  absl::StatusOr<ExitStatus> status =
      executor.Run(rootfs, spec, output, cancel);
  double elapsed = Millis(start);
  if (!status.ok() || !status->success()) {
    fprintf(stderr, "run failed: %s\n",
            status.ok() ? "non-zero exit" : status.status().ToString().c_str());
    return -1;
  }
  return elapsed;
}

// Milliseconds to open and close a network sandbox; negative on failure.
double TimeSandbox(const std::string& dir, int i) {
  network::NetworkSandbox::Options options;
  options.dir = dir;
  Clock::time_point start = Clock::now();
  auto sandbox = network::NetworkSandbox::Open(options, std::to_string(i));
  if (!sandbox.ok()) {
    fprintf(stderr, "sandbox failed: %s\n",
            sandbox.status().ToString().c_str());
    return -1;
  }
  sandbox->reset();
  return Millis(start);
}

void Report(const char* name, const std::vector<double>& ms) {
  printf("%-28s median %7.2f ms   p90 %7.2f ms\n", name, Percentile(ms, 0.5),
         Percentile(ms, 0.9));
}

int Main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 30;
  absl::StatusOr<bench::ExecutorBenchSetup> setup =
      bench::SetUpExecutorBench("network-bench");
  if (!setup.ok()) {
    fprintf(stderr, "setup failed: %s\n", setup.status().ToString().c_str());
    return 1;
  }
  const std::string& rootfs = setup->rootfs;
  RuncExecutor& executor = *setup->executor;
  const NetworkMode modes[3] = {NetworkMode::kPrivate, NetworkMode::kNone,
                                NetworkMode::kHost};
  for (int i = 0; i < 3; ++i) {  // warm the page cache and runc
    for (NetworkMode mode : modes) TimeRun(executor, rootfs, mode);
  }
  std::vector<double> times[3], sandbox;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) {
      const int m = (i + k) % 3;  // rotate which mode goes first
      double ms = TimeRun(executor, rootfs, modes[m]);
      if (ms < 0) return 1;
      times[m].push_back(ms);
    }
    double ms = TimeSandbox(JoinPath(setup->dir, "sandboxes"), i);
    if (ms < 0) return 1;
    sandbox.push_back(ms);
  }
  RemoveAll(setup->dir).IgnoreError();
  printf("runs: %d per mode, order rotating\n", n);
  Report("RUN true, private network", times[0]);
  Report("RUN true, --network=none", times[1]);
  Report("RUN true, --network=host", times[2]);
  Report("network sandbox alone", sandbox);
  std::vector<double> over_none, over_host;  // per round, same load
  for (int i = 0; i < n; ++i) {
    over_none.push_back(times[0][i] - times[1][i]);
    over_host.push_back(times[0][i] - times[2][i]);
  }
  Report("private - none, per round", over_none);
  Report("private - host, per round", over_host);
  return 0;
}

}  // namespace
}  // namespace farm::executor

int main(int argc, char** argv) { return farm::executor::Main(argc, argv); }
