#include "worker/executor/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::executor {
namespace {

// Mount options of a v1 cgroup mount that name no hierarchy.
bool IsGenericOption(absl::string_view option) {
  static const auto* generic = new std::set<std::string>{
      "rw",     "ro",       "relatime",       "noatime",
      "nosuid", "nodev",    "noexec",         "clone_children",
      "xattr",  "noprefix", "cpuset_v2_mode", "favordynmods"};
  return generic->count(std::string(option)) > 0 ||
         (absl::StrContains(option, '=') && !absl::StartsWith(option, "name="));
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 <= field.size()) {
      const absl::string_view digits = field.substr(i + 1, 3);
      int value = 0;
      bool octal = digits.size() == 3;
      for (char c : digits) {
        octal = octal && c >= '0' && c <= '7';
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

// The child cgroups of `dir`, full paths.
std::vector<std::string> Children(const std::string& dir) {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
  if (!names.ok()) return out;
  for (const std::string& name : *names) {
    std::string child = JoinPath(dir, name);
    if (IsDirectory(child)) out.push_back(std::move(child));
  }
  return out;
}

// Sends SIGKILL to every task listed under `dir` and its descendants; true
// when there was one.
bool KillTasks(const std::string& dir) {
  bool found = false;
  absl::StatusOr<std::string> procs = ReadFile(JoinPath(dir, "cgroup.procs"));
  if (procs.ok()) {
    for (absl::string_view line :
         absl::StrSplit(*procs, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(line, &pid) && pid > 0) {
        kill(pid, SIGKILL);
        found = true;
      }
    }
  }
  for (const std::string& child : Children(dir)) found |= KillTasks(child);
  return found;
}

// Removes `dir` and its descendants, deepest first. EBUSY (tasks still
// exiting) comes back as kFailedPrecondition.
absl::Status RemoveTree(const std::string& dir) {
  for (const std::string& child : Children(dir)) {
    RETURN_IF_ERROR(RemoveTree(child));
  }
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    if (errno == EBUSY) {
      return absl::FailedPreconditionError(
          absl::StrCat("cgroup ", dir, " still has tasks"));
    }
    return ErrnoStatus(errno, absl::StrCat("removing cgroup ", dir));
  }
  return absl::OkStatus();
}

// Freezes (or thaws) the subtree so that no task forks while it is killed.
void Freeze(const CgroupMounts& mounts, const std::string& path, bool frozen) {
  const std::string v1 = mounts.v1.count("freezer")
                             ? JoinPath(mounts.v1.at("freezer"), path)
                             : std::string();
  if (!v1.empty() && IsDirectory(v1)) {
    WriteCgroupFile(JoinPath(v1, "freezer.state"), frozen ? "FROZEN" : "THAWED")
        .IgnoreError();
  }
  const std::string v2 =
      mounts.unified.empty() ? std::string() : mounts.unified + path;
  if (!v2.empty() && PathExists(JoinPath(v2, "cgroup.freeze"))) {
    WriteCgroupFile(JoinPath(v2, "cgroup.freeze"), frozen ? "1" : "0")
        .IgnoreError();
  }
}

}  // namespace

std::string CgroupMounts::Dir(const std::string& controller,
                              const std::string& path) const {
  if (v2()) return unified + path;
  auto it = v1.find(controller);
  return it == v1.end() ? std::string() : it->second + path;
}

std::vector<std::string> CgroupMounts::AllDirs(const std::string& path) const {
  std::set<std::string> roots;
  for (const auto& [controller, mount] : v1) roots.insert(mount);
  if (!unified.empty()) roots.insert(unified);
  std::vector<std::string> out;
  for (const std::string& root : roots) out.push_back(root + path);
  return out;
}

std::vector<MountEntry> ParseMountInfo(absl::string_view mountinfo) {
  std::vector<MountEntry> out;
  for (absl::string_view line :
       absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash + 3 >= fields.size()) continue;
    out.push_back(MountEntry{Unescape(fields[4]), std::string(fields[dash + 1]),
                             std::string(fields[dash + 3])});
  }
  return out;
}

CgroupMounts ParseCgroupMounts(absl::string_view mountinfo) {
  CgroupMounts mounts;
  for (const MountEntry& entry : ParseMountInfo(mountinfo)) {
    if (entry.type == "cgroup2") {
      if (mounts.unified.empty()) mounts.unified = entry.mount_point;
    } else if (entry.type == "cgroup") {
      for (absl::string_view option : absl::StrSplit(entry.options, ',')) {
        if (IsGenericOption(option)) continue;
        mounts.v1.emplace(std::string(option), entry.mount_point);
      }
    }
  }
  return mounts;
}

absl::StatusOr<CgroupMounts> FindCgroupMounts() {
  ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  CgroupMounts mounts = ParseCgroupMounts(mountinfo);
  if (mounts.v1.empty() && mounts.unified.empty()) {
    return absl::FailedPreconditionError("no cgroup filesystem is mounted");
  }
  return mounts;
}

int64_t ReadCgroupCounter(const std::string& file, absl::string_view key) {
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    int64_t value = 0;
    if (kv.first == key && absl::SimpleAtoi(kv.second, &value)) return value;
  }
  return 0;
}

absl::Status WriteCgroupFile(const std::string& file, absl::string_view value) {
  ScopedFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, absl::StrCat("opening ", file));
  if (write(fd.get(), value.data(), value.size()) !=
      static_cast<ssize_t>(value.size())) {
    return ErrnoStatus(errno,
                       absl::StrCat("writing \"", value, "\" to ", file));
  }
  return absl::OkStatus();
}

absl::Status KillCgroupTree(const CgroupMounts& mounts, const std::string& path,
                            absl::Duration wait) {
  if (path.size() < 2 || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to kill cgroup \"", path, "\""));
  }
  std::vector<std::string> dirs;
  for (const std::string& dir : mounts.AllDirs(path)) {
    if (IsDirectory(dir)) dirs.push_back(dir);
  }
  if (dirs.empty()) return absl::OkStatus();
  const std::string v2 =
      mounts.unified.empty() ? std::string() : mounts.unified + path;
  if (!v2.empty() && PathExists(JoinPath(v2, "cgroup.kill"))) {
    WriteCgroupFile(JoinPath(v2, "cgroup.kill"), "1").IgnoreError();
  }
  Freeze(mounts, path, true);
  for (const std::string& dir : dirs) KillTasks(dir);
  Freeze(mounts, path, false);

  const absl::Time deadline = absl::Now() + wait;
  absl::Status removed;
  while (true) {
    removed = absl::OkStatus();
    for (const std::string& dir : dirs) {
      absl::Status status = RemoveTree(dir);
      if (removed.ok()) removed = status;
    }
    if (!absl::IsFailedPrecondition(removed) || absl::Now() >= deadline) break;
    // A task that forked past the freezer, or one still exiting.
    for (const std::string& dir : dirs) KillTasks(dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (absl::IsFailedPrecondition(removed)) {
    return absl::DeadlineExceededError(removed.message());
  }
  return removed;
}

}  // namespace farm::executor
