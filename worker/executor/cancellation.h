// Cancellation: a one-way flag that another thread raises to stop work in
// progress (a cancelled build stops its running containers). It carries an
// eventfd so poll loops can wait for it next to their pipes.
#ifndef FARM_WORKER_EXECUTOR_CANCELLATION_H_
#define FARM_WORKER_EXECUTOR_CANCELLATION_H_

#include <atomic>

#include "common/fs.h"

namespace farm::executor {

class Cancellation {
 public:
  Cancellation();
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Raises the flag. Idempotent and thread-safe; it never lowers again.
  void Cancel();
  bool IsCancelled() const {
    return cancelled_.load(std::memory_order_acquire);
  }

  // An fd that polls readable (POLLIN) once Cancel() was called, and stays
  // readable: any number of waiters may poll it, and none may read it. -1 if
  // no eventfd could be made; waiters then poll IsCancelled() on a timeout.
  int fd() const { return event_.get(); }

 private:
  std::atomic<bool> cancelled_{false};
  ScopedFd event_;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_CANCELLATION_H_
