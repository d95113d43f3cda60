// InterruptWatcher: turns Ctrl-C (SIGINT) into calls of a function on an
// ordinary thread, where it may take locks and talk to the farm, which a
// signal handler may not. The handler only writes a byte to a pipe.
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
  // Installs the SIGINT handler; `on_interrupt(n)` then runs on the
  // watcher's thread for the n-th Ctrl-C (n from 1). One watcher at a
  // time per process. kFailedPrecondition if one is active already;
  // errno-based errors from pipe(2) and sigaction(2).
  static absl::StatusOr<std::unique_ptr<InterruptWatcher>> Start(
      std::function<void(int)> on_interrupt);
  // Puts the previous SIGINT disposition back and stops the thread (after
  // any call in progress returns).
  ~InterruptWatcher();

 private:
  InterruptWatcher() = default;
  void Loop();

  ScopedFd read_fd_;
  ScopedFd write_fd_;
  struct sigaction previous_ = {};
  bool installed_ = false;  // the handler is ours and must be undone
  std::function<void(int)> on_interrupt_;
  std::thread thread_;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_INTERRUPT_WATCHER_H_
