// Clock: the one place logic reads time, so leases, timeouts and GC can be
// tested with a simulated clock that tests advance by hand.
#ifndef FARM_COMMON_CLOCK_H_
#define FARM_COMMON_CLOCK_H_

#include <set>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace farm {

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  virtual absl::Time Now() const = 0;
  // Called with `mu` held: waits until `cond` holds or this clock reaches
  // `deadline`, and says whether `cond` holds. `mu` is held again on
  // return. Timers go through here so that a simulated clock can end them.
  // Thread-safe.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                 absl::Time deadline) const {
    return mu->AwaitWithTimeout(cond, deadline - Now());
  }
};

// Wall-clock time. One shared instance is enough.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  static RealClock* Get() {
    static RealClock* clock = new RealClock;
    return clock;
  }
};

// Time that moves only when a test says so.
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

  // Looks at `cond` every millisecond of real time, since Advance cannot
  // wake a waiter that sleeps on another mutex.
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) const override {
    std::multiset<absl::Time>::iterator waiter;
    {
      absl::MutexLock lock(&mu_);
      waiter = deadlines_.insert(deadline);
    }
    bool met = false;
    while (!(met = mu->AwaitWithTimeout(cond, absl::Milliseconds(1))) &&
           Now() < deadline) {
    }
    absl::MutexLock lock(&mu_);
    deadlines_.erase(waiter);
    return met;
  }

  // Blocks for up to `timeout` of real time until some AwaitWithDeadline
  // waits for a time after Now() and no later than `by`, so that moving
  // the clock to `by` ends that wait. A zero timeout only looks.
  bool AwaitWaiter(absl::Time by, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto waiting = [this, by]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      // Waits already due count as over, though their threads may not
      // have noticed yet.
      auto next = deadlines_.upper_bound(now_);
      return next != deadlines_.end() && *next <= by;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&waiting), timeout);
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  // Deadlines of the waits in progress.
  mutable std::multiset<absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm

#endif  // FARM_COMMON_CLOCK_H_
