// Child processes: spawns a program with chosen stdio fds and a pidfd (so a
// poll loop can wait for its exit next to its pipes), and runs short helper
// commands (`runc delete`, credential helpers) to completion.
#ifndef FARM_COMMON_SUBPROCESS_H_
#define FARM_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/fs.h"

namespace farm {

// Maps a waitpid(2) status to a shell-style exit code: the exit status, or
// 128 + N for a process killed by signal N.
int ExitCodeFromWaitStatus(int wait_status);

// A spawned child. Move-only; the destructor kills (SIGKILL) and reaps a
// child that was never waited for, so no zombie or stray process remains.
class Subprocess {
 public:
  struct Stdio {
    // -1 means /dev/null. Other fds are dup'ed into the child as 0, 1, 2;
    // the caller keeps ownership and closes its copies.
    int in = -1;
    int out = -1;
    int err = -1;
    // Further fds the child inherits under the same numbers (above 2), e.g.
    // a helper's --ready-fd; the caller keeps and closes its copies.
    std::vector<int> inherit;
  };

  // Starts argv[0] (searched in $PATH when it has no '/') with the current
  // environment. Every other fd of this process is close-on-exec in the
  // child as long as it was opened with O_CLOEXEC, as all farm fds are.
  // kNotFound when the program does not exist, kInvalidArgument for an
  // empty argv. Needs pidfd_open(2) (Linux 5.3).
  static absl::StatusOr<Subprocess> Spawn(const std::vector<std::string>& argv,
                                          const Stdio& stdio);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // Readable (POLLIN) once the child has exited, for poll loops.
  int pidfd() const { return pidfd_.get(); }

  // Sends `signal` unless the child was already reaped.
  void Kill(int signal);
  // Blocks until the child exits and returns ExitCodeFromWaitStatus.
  absl::StatusOr<int> Wait();

 private:
  Subprocess(pid_t pid, ScopedFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  void Reset();

  pid_t pid_ = -1;  // -1 once reaped
  ScopedFd pidfd_;
};

struct CommandResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr interleaved
};

// Runs argv to completion with `input` on its stdin (/dev/null when
// empty; at most a pipe's buffer, 64 KiB), capturing its output (at most
// `max_output` bytes are kept). The child is killed after `timeout`, which
// yields kDeadlineExceeded.
absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv,
    absl::Duration timeout = absl::Seconds(30),
    size_t max_output = size_t{1} << 20, absl::string_view input = "");

// A pipe whose two ends are close-on-exec.
struct Pipe {
  ScopedFd read;
  ScopedFd write;
};
absl::StatusOr<Pipe> MakePipe();

}  // namespace farm

#endif  // FARM_COMMON_SUBPROCESS_H_
