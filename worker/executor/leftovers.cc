#include "worker/executor/leftovers.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "nlohmann/json.hpp"
#include "worker/executor/cgroup.h"

namespace farm::executor {
namespace {

constexpr char kParentPrefix[] = "/farm-worker-";

// Keeps the first error of several steps that all run.
void Keep(absl::Status& first, const absl::Status& status) {
  if (!status.ok()) {
    FARM_LOG(WARNING) << "cleaning up leftovers: " << status;
    if (first.ok()) first = status;
  }
}

absl::Status DeleteContainers(const std::string& runc,
                              const std::string& runc_root) {
  if (!IsDirectory(runc_root)) return absl::OkStatus();
  // runc keeps a directory per container in its root: with none, there is
  // nothing to delete and no need to start runc (every `farm build` of the
  // embedded farm passes here).
  absl::StatusOr<std::vector<std::string>> entries = ListDir(runc_root);
  if (entries.ok() && entries->empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      CommandResult listed,
      RunCommand({runc, "--root", runc_root, "list", "--format", "json"}));
  if (listed.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("runc list in ", runc_root, ": ", listed.output));
  }
  nlohmann::json containers =
      nlohmann::json::parse(listed.output, nullptr, /*allow_exceptions=*/false);
  if (!containers.is_array()) return absl::OkStatus();  // "null": none
  absl::Status first;
  for (const nlohmann::json& container : containers) {
    const std::string id = container.value("id", "");
    if (id.empty()) continue;
    FARM_LOG(INFO) << "removing container " << id << " ("
                   << container.value("status", "?")
                   << ") left by a previous run";
    absl::StatusOr<CommandResult> deleted =
        RunCommand({runc, "--root", runc_root, "delete", "--force", id});
    if (!deleted.ok()) {
      Keep(first, deleted.status());
    } else if (deleted->exit_code != 0) {
      Keep(first, absl::InternalError(
                      absl::StrCat("runc delete ", id, ": ", deleted->output)));
    }
  }
  return first;
}

absl::Status Unmount(const std::string& mount_root) {
  char* real = realpath(mount_root.c_str(), nullptr);
  if (real == nullptr) {
    return errno == ENOENT ? absl::OkStatus()
                           : ErrnoStatus(errno, "realpath " + mount_root);
  }
  const std::string prefix = absl::StrCat(real, "/");
  free(real);
  // Stacked mounts show one at a time; a few passes take them all.
  for (int pass = 0; pass < 8; ++pass) {
    ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/self/mountinfo"));
    std::vector<std::string> targets;
    for (const MountEntry& entry : ParseMountInfo(text)) {
      if ((entry.type == "overlay" || entry.type == "nsfs") &&
          absl::StartsWith(entry.mount_point, prefix)) {
        targets.push_back(entry.mount_point);
      }
    }
    if (targets.empty()) return absl::OkStatus();
    std::sort(targets.begin(), targets.end(),
              [](const std::string& a, const std::string& b) {
                return a.size() > b.size();
              });
    for (const std::string& target : targets) {
      FARM_LOG(INFO) << "unmounting " << target << " left by a previous run";
      if (umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL &&
          errno != ENOENT) {
        return ErrnoStatus(errno, "unmounting " + target);
      }
    }
  }
  return absl::InternalError(
      absl::StrCat("mounts under ", mount_root, " keep coming back"));
}

// Whether a live worker leases the parent `name` (CgroupParentLease).
bool Leased(const std::string& lease_dir, const std::string& name) {
  ScopedFd lock(
      open(JoinPath(lease_dir, name + ".lock").c_str(), O_RDONLY | O_CLOEXEC));
  if (lock.get() < 0) return false;
  return flock(lock.get(), LOCK_EX | LOCK_NB) != 0;
}

// rmdir(2) of every empty /farm-worker-* cgroup that no live worker leases;
// the kernel refuses those with tasks or children.
void SweepEmptyParents(const CgroupMounts& mounts,
                       const std::string& lease_dir) {
  for (const std::string& hierarchy : mounts.AllDirs("")) {
    absl::StatusOr<std::vector<std::string>> names = ListDir(hierarchy);
    if (!names.ok()) continue;
    for (const std::string& name : *names) {
      if (absl::StartsWith(name, kParentPrefix + 1) &&
          !Leased(lease_dir, name)) {
        rmdir(JoinPath(hierarchy, name).c_str());
      }
    }
  }
}

}  // namespace

CgroupParentLease CgroupParentLease::Take(const std::string& cgroup_parent,
                                          const std::string& dir) {
  CgroupParentLease lease;
  if (!MakeDirs(dir, 0700).ok()) return lease;
  const std::string name(absl::StripPrefix(cgroup_parent, "/"));
  ScopedFd fd(open(JoinPath(dir, name + ".lock").c_str(),
                   O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() >= 0 && flock(fd.get(), LOCK_SH) == 0) lease.fd_ = std::move(fd);
  return lease;
}

absl::Status UnmountUnder(const std::string& mount_root) {
  return Unmount(mount_root);
}

absl::StatusOr<std::string> CgroupParentForRoot(const std::string& root) {
  char* real = realpath(root.c_str(), nullptr);
  if (real == nullptr) return ErrnoStatus(errno, "realpath " + root);
  const std::string hex = Digest::Of(real).hex();
  free(real);
  return absl::StrCat(kParentPrefix, hex.substr(0, 12));
}

absl::Status CleanLeftovers(const LeftoverScope& scope) {
  absl::Status first;
  if (!scope.runc_root.empty()) {
    Keep(first, DeleteContainers(scope.runc, scope.runc_root));
  }
  if (!scope.cgroup_parent.empty()) {
    absl::StatusOr<CgroupMounts> mounts = FindCgroupMounts();
    if (mounts.ok()) {
      Keep(first, KillCgroupTree(*mounts, scope.cgroup_parent));
      SweepEmptyParents(*mounts, scope.lease_dir);
    } else if (!absl::IsFailedPrecondition(mounts.status())) {
      Keep(first, mounts.status());
    }
  }
  if (!scope.mount_root.empty()) Keep(first, Unmount(scope.mount_root));
  return first;
}

}  // namespace farm::executor
