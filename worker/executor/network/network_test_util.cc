#include "worker/executor/network/network_test_util.h"

#include <sys/stat.h>
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

}  // namespace

std::string NamespaceId(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat("net:[", st.st_ino, "]");
}

std::vector<std::string> NamespaceHolders(const std::string& id) {
  std::vector<std::string> holders;
  for (const std::string& pid : Pids()) {
    absl::StatusOr<std::string> mounts =
        ReadFile(absl::StrCat("/proc/", pid, "/mountinfo"));
    if (mounts.ok() && absl::StrContains(*mounts, id)) {
      holders.push_back(pid + " mounts it");
    }
    char link[64] = {};
    const std::string ns = absl::StrCat("/proc/", pid, "/ns/net");
    if (readlink(ns.c_str(), link, sizeof(link) - 1) > 0 && link == id) {
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
