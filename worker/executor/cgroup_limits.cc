#include "worker/executor/cgroup_limits.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::executor {
namespace {

constexpr int64_t kCpuPeriodMicros = 100000;

// The controllers `limits` needs.
std::vector<std::string> NeededControllers(const ResourceLimits& limits) {
  std::vector<std::string> out;
  if (limits.memory_bytes > 0) out.push_back("memory");
  if (limits.pids > 0) out.push_back("pids");
  if (limits.cpus > 0) out.push_back("cpu");
  return out;
}

// cgroup v2: enables `controllers` in the subtree_control of the root and
// of every ancestor of `path` and `path` itself (runc's cgroup nests in it),
// making the directories on the way.
absl::Status EnableV2(const std::string& unified, const std::string& path,
                      const std::vector<std::string>& controllers) {
  std::string dir = unified;
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  for (size_t i = 0; i <= parts.size(); ++i) {
    if (i > 0) {
      dir = JoinPath(dir, parts[i - 1]);
      RETURN_IF_ERROR(MakeDirs(dir, 0755));
    }
    absl::StatusOr<std::string> enabled =
        ReadFile(JoinPath(dir, "cgroup.subtree_control"));
    if (!enabled.ok()) return enabled.status();
    std::vector<std::string> have =
        absl::StrSplit(*enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty());
    for (const std::string& controller : controllers) {
      if (std::find(have.begin(), have.end(), controller) != have.end()) {
        continue;
      }
      RETURN_IF_ERROR(WriteCgroupFile(JoinPath(dir, "cgroup.subtree_control"),
                                      "+" + controller));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CgroupLimits>> CgroupLimits::Create(
    const CgroupMounts& mounts, std::string path,
    const ResourceLimits& limits) {
  if (path.size() < 2 || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroup path \"", path, "\" is not absolute"));
  }
  const std::vector<std::string> needed = NeededControllers(limits);
  for (const std::string& controller : needed) {
    if (mounts.Dir(controller, path).empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no ", controller, " cgroup controller is mounted here"));
    }
  }
  std::unique_ptr<CgroupLimits> cgroup(new CgroupLimits(mounts, path));
  if (mounts.v2()) {
    RETURN_IF_ERROR(Annotate(EnableV2(mounts.unified, path, needed),
                             "enabling cgroup controllers"));
  } else {
    for (const std::string& controller : {"memory", "pids", "cpu"}) {
      const std::string dir = mounts.Dir(controller, path);
      if (!dir.empty()) RETURN_IF_ERROR(MakeDirs(dir, 0755));
    }
  }
  RETURN_IF_ERROR(cgroup->SetLimits(limits));
  if (!mounts.v2() && limits.memory_bytes > 0) {
    RETURN_IF_ERROR(cgroup->WatchOom());
  }
  return cgroup;
}

absl::Status CgroupLimits::SetLimits(const ResourceLimits& limits) {
  const bool v2 = mounts_.v2();
  if (limits.memory_bytes > 0) {
    const std::string dir = mounts_.Dir("memory", path_);
    const std::string bytes = absl::StrCat(limits.memory_bytes);
    // Swap counts against the limit: memory.memsw (v1) is memory plus swap,
    // memory.swap.max (v2) swap alone. Absent without swap accounting.
    const std::string swap_file =
        JoinPath(dir, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
    RETURN_IF_ERROR(WriteCgroupFile(
        JoinPath(dir, v2 ? "memory.max" : "memory.limit_in_bytes"), bytes));
    if (PathExists(swap_file)) {
      RETURN_IF_ERROR(WriteCgroupFile(swap_file, v2 ? "0" : bytes));
    }
  }
  if (limits.pids > 0) {
    RETURN_IF_ERROR(
        WriteCgroupFile(JoinPath(mounts_.Dir("pids", path_), "pids.max"),
                        absl::StrCat(limits.pids)));
  }
  if (limits.cpus > 0) {
    const std::string dir = mounts_.Dir("cpu", path_);
    const int64_t quota = std::max<int64_t>(
        1000, static_cast<int64_t>(limits.cpus * kCpuPeriodMicros));
    if (v2) {
      RETURN_IF_ERROR(
          WriteCgroupFile(JoinPath(dir, "cpu.max"),
                          absl::StrCat(quota, " ", kCpuPeriodMicros)));
    } else {
      RETURN_IF_ERROR(WriteCgroupFile(JoinPath(dir, "cpu.cfs_period_us"),
                                      absl::StrCat(kCpuPeriodMicros)));
      RETURN_IF_ERROR(WriteCgroupFile(JoinPath(dir, "cpu.cfs_quota_us"),
                                      absl::StrCat(quota)));
    }
  }
  return absl::OkStatus();
}

absl::Status CgroupLimits::WatchOom() {
  const std::string dir = mounts_.Dir("memory", path_);
  ScopedFd event(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (event.get() < 0) return ErrnoStatus(errno, "eventfd");
  const std::string control = JoinPath(dir, "memory.oom_control");
  ScopedFd oom_control(open(control.c_str(), O_RDONLY | O_CLOEXEC));
  if (oom_control.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("opening ", control));
  }
  RETURN_IF_ERROR(
      WriteCgroupFile(JoinPath(dir, "cgroup.event_control"),
                      absl::StrCat(event.get(), " ", oom_control.get())));
  oom_event_ = std::move(event);
  return absl::OkStatus();
}

CgroupLimits::~CgroupLimits() {
  if (absl::Status status = Remove(); !status.ok()) {
    FARM_LOG(WARNING) << "removing cgroup " << path_ << ": " << status;
  }
}

bool CgroupLimits::OomKilled() {
  if (oom_ || removed_) return oom_;
  if (oom_event_.get() >= 0) {
    uint64_t count = 0;
    oom_ = read(oom_event_.get(), &count, sizeof(count)) ==
               static_cast<ssize_t>(sizeof(count)) &&
           count > 0;
  } else if (mounts_.v2()) {
    const std::string events =
        JoinPath(mounts_.Dir("memory", path_), "memory.events");
    oom_ = ReadCgroupCounter(events, "oom") > 0 ||
           ReadCgroupCounter(events, "oom_kill") > 0;
  }
  return oom_;
}

bool CgroupLimits::PidsRefused() {
  if (refused_ || removed_) return refused_;
  for (const std::string& path : {path_, runc_path()}) {
    const std::string events =
        JoinPath(mounts_.Dir("pids", path), "pids.events");
    refused_ = refused_ || ReadCgroupCounter(events, "max") > 0;
  }
  return refused_;
}

int64_t CgroupLimits::PidsPeak() const {
  absl::StatusOr<std::string> peak =
      ReadFile(JoinPath(mounts_.Dir("pids", path_), "pids.peak"));
  int64_t value = -1;
  if (!peak.ok() ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(*peak), &value)) {
    return -1;
  }
  return value;
}

absl::Status CgroupLimits::Remove() {
  if (removed_) return absl::OkStatus();
  // Read the counters one last time; they go with the cgroup.
  OomKilled();
  PidsRefused();
  removed_ = true;
  oom_event_ = ScopedFd();
  return KillCgroupTree(mounts_, path_);
}

}  // namespace farm::executor
