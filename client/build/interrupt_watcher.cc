#include "client/build/interrupt_watcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace farm::client::build {

namespace {

// The write end of the active watcher's pipe, for the signal handler.
std::atomic<int> g_signal_fd{-1};

// What goes down the pipe: the signal, or kStop.
constexpr char kInterrupt = 'i';
constexpr char kTerminate = 't';
constexpr char kStop = 's';

void OnSignal(int signal) {
  int saved = errno;
  int fd = g_signal_fd.load();
  if (fd >= 0) {
    char c = signal == SIGTERM ? kTerminate : kInterrupt;
    (void)!write(fd, &c, 1);
  }
  errno = saved;
}

}  // namespace

absl::StatusOr<std::unique_ptr<InterruptWatcher>> InterruptWatcher::Start(
    std::function<void(int, int)> on_signal) {
  std::unique_ptr<InterruptWatcher> w(new InterruptWatcher);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  w->read_fd_ = ScopedFd(fds[0]);
  w->write_fd_ = ScopedFd(fds[1]);
  int expected = -1;
  if (!g_signal_fd.compare_exchange_strong(expected, fds[1])) {
    return absl::FailedPreconditionError("another interrupt watcher is active");
  }
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &action, &w->previous_int_) != 0) {
    int err = errno;
    g_signal_fd = -1;
    return ErrnoStatus(err, "sigaction(SIGINT)");
  }
  if (sigaction(SIGTERM, &action, &w->previous_term_) != 0) {
    int err = errno;
    sigaction(SIGINT, &w->previous_int_, nullptr);
    g_signal_fd = -1;
    return ErrnoStatus(err, "sigaction(SIGTERM)");
  }
  w->installed_ = true;
  w->on_signal_ = std::move(on_signal);
  w->thread_ = std::thread([raw = w.get()] { raw->Loop(); });
  return w;
}

InterruptWatcher::~InterruptWatcher() {
  if (!installed_) return;
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_signal_fd = -1;
  char c = kStop;
  (void)!write(write_fd_.get(), &c, 1);
  if (thread_.joinable()) thread_.join();
}

void InterruptWatcher::Loop() {
  int interrupts = 0;
  int terminates = 0;
  while (true) {
    char c;
    ssize_t n = read(read_fd_.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == kStop) return;
    if (c == kTerminate) {
      on_signal_(SIGTERM, ++terminates);
    } else {
      on_signal_(SIGINT, ++interrupts);
    }
  }
}

}  // namespace farm::client::build
