// InterruptWatcher: turns Ctrl-C (SIGINT) and SIGTERM into calls of a
// function on an ordinary thread, where it may take locks and talk to the
// farm, which a signal handler may not. The handler only writes a byte to a
// pipe.
#ifndef FARM_CLIENT_BUILD_INTERRUPT_WATCHER_H_
#define FARM_CLIENT_BUILD_INTERRUPT_WATCHER_H_

#include <signal.h>

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "common/fs.h"

namespace farm::client::build {

class InterruptWatcher {
 public:
  // Installs the handlers; `on_signal(signal, n)` then runs on the
  // watcher's thread for the n-th arrival of `signal` (SIGINT or SIGTERM,
  // n from 1). One watcher at a time per process. kFailedPrecondition if
  // one is active already; errno-based errors from pipe(2) and
  // sigaction(2).
  static absl::StatusOr<std::unique_ptr<InterruptWatcher>> Start(
      std::function<void(int signal, int n)> on_signal);
  // Puts the previous dispositions back and stops the thread (after any
  // call in progress returns).
  ~InterruptWatcher();

 private:
  InterruptWatcher() = default;
  void Loop();

  ScopedFd read_fd_;
  ScopedFd write_fd_;
  struct sigaction previous_int_ = {};
  struct sigaction previous_term_ = {};
  bool installed_ = false;  // the handlers are ours and must be undone
  std::function<void(int, int)> on_signal_;
  std::thread thread_;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_INTERRUPT_WATCHER_H_
