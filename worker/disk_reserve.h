// DiskReserve: how much of the filesystem under a worker's root must stay
// free for the worker to take jobs (farm-worker --min-free-disk, a share
// such as "5%" or a size such as "10GiB"), checked with statvfs(2). A worker
// below its reserve says so in its heartbeats and the scheduler assigns it
// nothing until space is freed, rather than letting its builds fail on
// ENOSPC.
#ifndef FARM_WORKER_DISK_RESERVE_H_
#define FARM_WORKER_DISK_RESERVE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::worker {

struct DiskReserve {
  uint64_t bytes = 0;   // at least this many bytes free, or
  double fraction = 0;  // at least this share of the filesystem free
};

// farm-worker's reserve without --min-free-disk.
inline constexpr char kDefaultMinFreeDisk[] = "5%";

// "5%", "0.5%", "10GiB", "0" (no reserve). kInvalidArgument otherwise, or
// for a share of 100% or more.
absl::StatusOr<DiskReserve> ParseDiskReserve(absl::string_view text);

struct DiskSpace {
  uint64_t free_bytes = 0;  // available to unprivileged writers too
  uint64_t total_bytes = 0;
};

// The filesystem that holds `path`. Errors: statvfs's.
absl::StatusOr<DiskSpace> StatDisk(const std::string& path);

// True when `space` is below `reserve`.
bool BelowReserve(const DiskSpace& space, const DiskReserve& reserve);

// "2.1 GiB free of 40 GiB" for logs.
std::string DescribeDiskSpace(const DiskSpace& space);

}  // namespace farm::worker

#endif  // FARM_WORKER_DISK_RESERVE_H_
