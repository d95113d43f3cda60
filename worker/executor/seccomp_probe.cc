// A static test program for runc_seccomp_test: makes the system calls that
// Docker's seccomp profile refuses in a RUN sandbox and prints one line each,
// NAME=0 when the call succeeded or NAME=ERRNO (e.g. "keyctl=EPERM"). Every
// call is harmless where it succeeds: reboot gets a bad magic number, mount
// a missing target, fchmodat2 bad flags, and the children exit at once.
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// fchmodat2 (Linux 6.6) has one number on every architecture; Docker 20.10's
// profile predates it.
constexpr long kFchmodat2 = 452;

void Report(const char* name, long result, int err) {
  printf("%s=%s\n", name, result < 0 ? strerrorname_np(err) : "0");
}

// A child made by clone(flags) that exits at once; the parent reaps it.
void CloneAndReap(const char* name, unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  int err = errno;
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
  Report(name, pid, err);
}

// fork, then exec /bin/true: 0 when the child ran it and exited 0.
void ForkExec() {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/true", "true", static_cast<char*>(nullptr));
    _exit(127);
  }
  int err = errno;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid &&
      (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    pid = -1;
    err = ECHILD;
  }
  Report("fork_exec", pid, err);
}

}  // namespace

int main() {
  long r =
      syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  Report("keyctl", r, errno);
  r = syscall(SYS_add_key, "user", "farm-probe", "x", 1,
              KEY_SPEC_PROCESS_KEYRING);
  Report("add_key", r, errno);
  r = syscall(SYS_mount, "none", "/farm-probe-no-such-dir", "tmpfs", 0, 0);
  Report("mount", r, errno);
  r = syscall(SYS_reboot, 0, 0, 0, 0);  // bad magic: EINVAL at most
  Report("reboot", r, errno);
  r = syscall(kFchmodat2, AT_FDCWD, "/", 0755, 0x7f000000);  // EINVAL
  Report("fchmodat2", r, errno);
  CloneAndReap("clone_newuser", CLONE_NEWUSER);
  ForkExec();
  // Last: on success this process is in a new user namespace.
  r = syscall(SYS_unshare, CLONE_NEWUSER);
  Report("unshare_newuser", r, errno);
  return 0;
}
