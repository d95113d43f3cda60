// The limits of a RUN step as people write and read them: byte sizes
// ("4GiB", "512MiB"), durations ("90s", "2h") and CPU counts parsed for
// flags and formatted for messages ("memory limit 4 GiB reached"); the
// defaults of farm-worker; and how a build's limits combine with a worker's
// (a build can lower them, never raise them).
#ifndef FARM_WORKER_EXECUTOR_LIMITS_H_
#define FARM_WORKER_EXECUTOR_LIMITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "worker/executor/executor.h"

namespace farm::executor {

// farm-worker's limits of one RUN when its flags say nothing.
inline constexpr uint64_t kDefaultRunMemory = uint64_t{4} << 30;  // 4 GiB
inline constexpr int64_t kDefaultRunPids = 4096;
inline constexpr double kDefaultRunCpus = 0;  // all the worker's CPUs
inline constexpr absl::Duration kDefaultRunTimeout = absl::Hours(2);
inline constexpr uint64_t kDefaultRunDisk = uint64_t{20} << 30;  // 20 GiB
ResourceLimits DefaultRunLimits();

// "4294967296", "4GiB", "4g", "512MiB", "1.5G", "64k": a number with an
// optional suffix b, k, m, g, t (also kb/kib, mb/mib, ...; any case), all
// binary as in `docker run --memory`. kInvalidArgument otherwise.
absl::StatusOr<uint64_t> ParseBytes(absl::string_view text);
// "4 GiB", "512 MiB", "1.5 GiB", "100 B": the largest unit that fits, with
// one decimal when the size is not a whole number of it.
std::string FormatBytes(uint64_t bytes);

// "90s", "2h", "1h30m", "500ms", or whole seconds ("45"); "0" is none.
// kInvalidArgument for anything else or a negative duration.
absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view text);
// "2h", "1m30s", as Go and absl write durations.
std::string FormatTimeout(absl::Duration timeout);

// "2", "1.5", "0.25"; "0" is all CPUs. kInvalidArgument otherwise.
absl::StatusOr<double> ParseCpus(absl::string_view text);

// `worker`'s limits, each lowered to `build`'s where the build sets one
// (non-zero) lower than the worker's; a zero (no limit) of the worker's
// takes the build's.
ResourceLimits TightestLimits(const ResourceLimits& worker,
                              const ResourceLimits& build);

// "memory 4 GiB, pids 4096, cpus all, time 2h, disk 20 GiB" (for logs).
std::string DescribeLimits(const ResourceLimits& limits);

// ExitStatus::killed_by texts.
std::string MemoryLimitReached(uint64_t bytes);  // "memory limit 4 GiB reached"
std::string PidsLimitReached(int64_t pids);      // "pids limit 4096 reached"
std::string TimeLimitReached(absl::Duration timeout);  // "time limit 2h ..."
std::string DiskBudgetReached(uint64_t bytes);  // "disk budget 20 GiB ..."

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_LIMITS_H_
