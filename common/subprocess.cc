#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

extern char** environ;

namespace farm {
namespace {

// Owns a posix_spawn_file_actions_t and its matching attr for one spawn.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Routes `fd` (or /dev/null when -1) to `target` in the child.
  void Route(int fd, int target, int null_flags) {
    if (fd < 0) {
      posix_spawn_file_actions_addopen(&actions_, target, "/dev/null",
                                       null_flags, 0);
    } else {
      posix_spawn_file_actions_adddup2(&actions_, fd, target);
    }
  }

  // The child starts with no blocked signals and default dispositions, even
  // when this process ignores SIGPIPE or blocks signals in its threads.
  void ResetSignals() {
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr_, &none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attr_, &all);
    posix_spawnattr_setflags(&attr_,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

int64_t MonotonicMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int ExitCodeFromWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

absl::StatusOr<Subprocess> Subprocess::Spawn(
    const std::vector<std::string>& argv, const Stdio& stdio) {
  if (argv.empty()) return absl::InvalidArgumentError("spawn: empty argv");
  SpawnSetup setup;
  setup.Route(stdio.in, STDIN_FILENO, O_RDONLY);
  setup.Route(stdio.out, STDOUT_FILENO, O_WRONLY);
  setup.Route(stdio.err, STDERR_FILENO, O_WRONLY);
  for (int fd : stdio.inherit) {
    // dup2 onto itself clears FD_CLOEXEC in the child (glibc 2.29+).
    if (fd > STDERR_FILENO) setup.Route(fd, fd, 0);
  }
  setup.ResetSignals();

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    cargv.push_back(const_cast<char*>(arg.c_str()));
  }
  cargv.push_back(nullptr);

  pid_t pid = -1;
  int err = posix_spawnp(&pid, cargv[0], setup.actions(), setup.attr(),
                         cargv.data(), environ);
  if (err != 0) return ErrnoStatus(err, absl::StrCat("starting ", argv[0]));

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int open_errno = errno;
    kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return ErrnoStatus(open_errno, absl::StrCat("pidfd_open for ", argv[0]));
  }
  // pidfd_open sets O_CLOEXEC itself.
  return Subprocess(pid, ScopedFd(pidfd));
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
  }
  return *this;
}

Subprocess::~Subprocess() { Reset(); }

void Subprocess::Reset() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  pidfd_ = ScopedFd();
}

void Subprocess::Kill(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait() {
  if (pid_ <= 0) return absl::FailedPreconditionError("process already reaped");
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      int err = errno;
      pid_ = -1;
      return ErrnoStatus(err, "waitpid");
    }
  }
  pid_ = -1;
  return ExitCodeFromWaitStatus(status);
}

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  return Pipe{ScopedFd(fds[0]), ScopedFd(fds[1])};
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         size_t max_output,
                                         absl::string_view input) {
  ASSIGN_OR_RETURN(Pipe pipe, MakePipe());
  Subprocess::Stdio stdio;
  stdio.out = pipe.write.get();
  stdio.err = pipe.write.get();
  std::optional<Pipe> in;
  if (!input.empty()) {
    if (input.size() > 65536) {
      return absl::InvalidArgumentError("command input over 64 KiB");
    }
    ASSIGN_OR_RETURN(in, MakePipe());
    // Fits the pipe's buffer, so it is written before the child reads.
    if (write(in->write.get(), input.data(), input.size()) !=
        static_cast<ssize_t>(input.size())) {
      return ErrnoStatus(errno, "writing a command's input");
    }
    in->write = ScopedFd();
    stdio.in = in->read.get();
  }
  ASSIGN_OR_RETURN(Subprocess child, Subprocess::Spawn(argv, stdio));
  pipe.write = ScopedFd();
  in.reset();
  fcntl(pipe.read.get(), F_SETFL, O_NONBLOCK);

  CommandResult result;
  const int64_t deadline =
      MonotonicMillis() + absl::ToInt64Milliseconds(timeout);
  bool pipe_open = true;
  bool exited = false;
  char buf[8192];
  // Reads what is available; false at end of file.
  auto drain = [&]() {
    while (true) {
      ssize_t n = read(pipe.read.get(), buf, sizeof(buf));
      if (n > 0) {
        size_t room = max_output - std::min(max_output, result.output.size());
        result.output.append(buf, std::min(room, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && errno == EAGAIN;
    }
  };
  while (!exited) {
    int64_t left = deadline - MonotonicMillis();
    if (left <= 0) {
      child.Kill(SIGKILL);
      child.Wait().IgnoreError();
      return absl::DeadlineExceededError(
          absl::StrCat("`", absl::StrJoin(argv, " "), "` did not finish in ",
                       absl::FormatDuration(timeout)));
    }
    pollfd fds[2] = {{child.pidfd(), POLLIN, 0},
                     {pipe_open ? pipe.read.get() : -1, POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
    if (n < 0 && errno != EINTR) return ErrnoStatus(errno, "poll");
    if (n <= 0) continue;
    if (fds[1].revents != 0) pipe_open = drain();
    if (fds[0].revents != 0) exited = true;
  }
  ASSIGN_OR_RETURN(result.exit_code, child.Wait());
  // The child is gone; take what it wrote without waiting for helpers it
  // may have left holding the pipe.
  if (pipe_open) drain();
  return result;
}

}  // namespace farm
