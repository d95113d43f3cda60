#include "worker/executor/limits_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "worker/executor/limits.h"

namespace farm::executor {
namespace {

// Deeper directories are counted but not entered: each level holds an fd.
constexpr int kMaxDepth = 512;

struct Walk {
  dev_t dev = 0;
  std::set<std::pair<dev_t, ino_t>> linked;  // inodes with several names
  uint64_t bytes = 0;
};

// Adds what the directory `fd` holds (its own blocks are the caller's).
void AddDir(int fd, int depth, Walk& walk) {
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return;
  }
  while (struct dirent* entry = readdir(dir)) {
    const char* name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != walk.dev) continue;
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 &&
        !walk.linked.insert({st.st_dev, st.st_ino}).second) {
      continue;
    }
    walk.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    if (!S_ISDIR(st.st_mode) || depth >= kMaxDepth) continue;
    int child = openat(dirfd(dir), name,
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child >= 0) AddDir(child, depth + 1, walk);
  }
  closedir(dir);
}

}  // namespace

absl::StatusOr<uint64_t> DiskBytesUnder(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", dir));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, absl::StrCat("stat ", dir));
  }
  Walk walk;
  walk.dev = st.st_dev;
  walk.bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  AddDir(fd, 1, walk);
  return walk.bytes;
}

LimitsWatch::LimitsWatch(const ResourceLimits& limits, Probes probes,
                         const Clock* clock)
    : limits_(limits),
      probes_(std::move(probes)),
      clock_(clock),
      start_(clock->Now()),
      next_counters_(start_ + kCounterInterval),
      next_disk_(start_ + kDiskInterval) {
  const bool counters = (limits_.memory_bytes > 0 && probes_.oom_killed) ||
                        (limits_.pids > 0 && probes_.pids_refused);
  if (!counters) next_counters_ = absl::InfiniteFuture();
  if (limits_.disk_bytes == 0 || !probes_.disk_bytes) {
    next_disk_ = absl::InfiniteFuture();
  }
}

std::string LimitsWatch::CheckCounters() {
  if (limits_.memory_bytes > 0 && probes_.oom_killed && probes_.oom_killed()) {
    return MemoryLimitReached(limits_.memory_bytes);
  }
  if (limits_.pids > 0 && probes_.pids_refused && probes_.pids_refused()) {
    return PidsLimitReached(limits_.pids);
  }
  return "";
}

std::string LimitsWatch::CheckDisk() {
  if (limits_.disk_bytes == 0 || !probes_.disk_bytes) return "";
  const absl::Time started = clock_->Now();
  absl::StatusOr<uint64_t> bytes = probes_.disk_bytes();
  const absl::Duration took = clock_->Now() - started;
  next_disk_ = clock_->Now() + std::max(kDiskInterval, 4 * took);
  if (bytes.ok() && *bytes > limits_.disk_bytes) {
    return DiskBudgetReached(limits_.disk_bytes);
  }
  return "";
}

std::string LimitsWatch::Check() {
  const absl::Time now = clock_->Now();
  if (now >= next_counters_) {
    next_counters_ = now + kCounterInterval;
    if (std::string reached = CheckCounters(); !reached.empty()) {
      return reached;
    }
  }
  if (now >= next_disk_) {
    if (std::string reached = CheckDisk(); !reached.empty()) return reached;
  }
  if (limits_.timeout > absl::ZeroDuration() &&
      now - start_ >= limits_.timeout) {
    return TimeLimitReached(limits_.timeout);
  }
  return "";
}

absl::Duration LimitsWatch::UntilNextCheck() const {
  absl::Time next = std::min(next_counters_, next_disk_);
  if (limits_.timeout > absl::ZeroDuration()) {
    next = std::min(next, start_ + limits_.timeout);
  }
  return std::max(absl::ZeroDuration(), next - clock_->Now());
}

std::string LimitsWatch::AfterExit(int exit_code) {
  if (std::string reached = CheckCounters(); !reached.empty()) return reached;
  if (std::string reached = CheckDisk(); !reached.empty()) return reached;
  if (exit_code != 0 && limits_.pids > 0 && probes_.pids_peak &&
      probes_.pids_peak() >= limits_.pids) {
    return PidsLimitReached(limits_.pids);
  }
  return "";
}

}  // namespace farm::executor
