#include "worker/executor/network/network_test_util.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"

namespace farm::executor::network {
namespace {

std::vector<std::string> Pids() {
  std::vector<std::string> pids;
  absl::StatusOr<std::vector<std::string>> names = ListDir("/proc");
  if (!names.ok()) return pids;
  for (const std::string& name : *names) {
    if (name.find_first_not_of("0123456789") == std::string::npos) {
      pids.push_back(name);
    }
  }
  return pids;
}

// The target of the symlink at `path`, or "".
std::string ReadLink(const std::string& path) {
  char link[256] = {};
  if (readlink(path.c_str(), link, sizeof(link) - 1) <= 0) return "";
  return link;
}

}  // namespace

std::string NamespaceId(const std::string& path) {
  const std::string link = ReadLink(path);
  if (absl::StartsWith(link, "net:[")) return link;
  struct statfs fs;
  struct stat st;
  if (statfs(path.c_str(), &fs) != 0 || fs.f_type != NSFS_MAGIC ||
      stat(path.c_str(), &st) != 0) {
    return "";
  }
  return absl::StrCat("net:[", st.st_ino, "]");
}

std::vector<std::string> NamespaceHolders(const std::string& id) {
  std::vector<std::string> holders;
  for (const std::string& pid : Pids()) {
    const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
    absl::StatusOr<std::vector<std::string>> fds = ListDir(fd_dir);
    for (const std::string& fd : fds.value_or(std::vector<std::string>{})) {
      if (ReadLink(JoinPath(fd_dir, fd)) == id) {
        holders.push_back(pid + " holds it open");
        break;
      }
    }
    absl::StatusOr<std::string> mounts =
        ReadFile(absl::StrCat("/proc/", pid, "/mountinfo"));
    if (mounts.ok() && absl::StrContains(*mounts, id)) {
      holders.push_back(pid + " mounts it");
    }
    if (ReadLink(absl::StrCat("/proc/", pid, "/ns/net")) == id) {
      holders.push_back(pid + " is in it");
    }
  }
  return holders;
}

std::vector<pid_t> Slirp4netnsChildren() {
  std::vector<pid_t> children;
  for (const std::string& pid : Pids()) {
    absl::StatusOr<std::string> stat =
        ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    // "PID (COMM) STATE PPID ..."
    if (!stat.ok() || !absl::StrContains(*stat, " (slirp4netns) ")) continue;
    std::vector<std::string> fields =
        absl::StrSplit(stat->substr(stat->rfind(')') + 2), ' ');
    int ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid) &&
        ppid == getpid()) {
      children.push_back(std::atoi(pid.c_str()));
    }
  }
  return children;
}

}  // namespace farm::executor::network
