// BlockingQueue: a closable multi-producer queue for handing messages from
// gRPC reader threads and the scheduler hub to the thread that owns a
// stream or a build.
#ifndef FARM_COMMON_BLOCKING_QUEUE_H_
#define FARM_COMMON_BLOCKING_QUEUE_H_

#include <deque>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace farm {

template <typename T>
class BlockingQueue {
 public:
  // Returns false (dropping `item`) once the queue is closed.
  bool Push(T item) {
    absl::MutexLock lock(&mu_);
    if (closed_) return false;
    items_.push_back(std::move(item));
    return true;
  }

  // Waits up to `timeout` for an item. nullopt on timeout, or when the
  // queue is closed and empty.
  std::optional<T> Pop(absl::Duration timeout = absl::InfiniteDuration()) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !items_.empty() || closed_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Wakes every waiter; items already queued can still be popped.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  mutable absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace farm

#endif  // FARM_COMMON_BLOCKING_QUEUE_H_
