#include "worker/reaper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/executor/cgroup.h"
#include "worker/executor/leftovers.h"

namespace farm::worker {

namespace {

[[noreturn]] void Reap(int pipe_read, const std::string& root,
                       const std::string& cgroup_parent) {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  prctl(PR_SET_NAME, "farm-reaper", 0, 0, 0);
  char byte;
  // The worker never writes: the read ends when its last end closes.
  while (read(pipe_read, &byte, 1) < 0 && errno == EINTR) {
  }
  // The steps are ours to kill only if no live worker holds the root.
  const std::string lock_path = JoinPath(root, "lock");
  int lock = open(lock_path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) _exit(0);
  absl::StatusOr<executor::CgroupMounts> mounts = executor::FindCgroupMounts();
  absl::Status killed = mounts.ok()
                            ? executor::KillCgroupTree(*mounts, cgroup_parent)
                            : mounts.status();
  if (!killed.ok()) {
    FARM_LOG(WARNING) << "reaping the steps under " << cgroup_parent << ": "
                      << killed;
  }
  // With the steps gone, their overlays can go too (and any nsfs mount an
  // older farm kept a network namespace on).
  absl::Status unmounted = executor::UnmountUnder(root);
  if (!unmounted.ok()) {
    FARM_LOG(WARNING) << "unmounting under " << root << ": " << unmounted;
  }
  _exit(killed.ok() && unmounted.ok() ? 0 : 1);
}

}  // namespace

absl::Status StartReaper(const std::string& root) {
  RETURN_IF_ERROR(MakeDirs(root, 0700));
  ASSIGN_OR_RETURN(std::string cgroup_parent,
                   executor::CgroupParentForRoot(root));
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return ErrnoStatus(errno, "forking the reaper");
  }
  if (pid == 0) {
    close(fds[1]);
    Reap(fds[0], root, cgroup_parent);
  }
  close(fds[0]);
  // The write end stays open, close-on-exec, for the worker's lifetime.
  return absl::OkStatus();
}

}  // namespace farm::worker
