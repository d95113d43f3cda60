// SessionThreads: runs each build session on a thread of its own and joins
// the threads of sessions that have ended whenever another starts, so the
// threads a scheduler holds are bounded by the builds running, not by the
// builds it ever ran.
#ifndef FARM_SCHEDULER_SESSION_THREADS_H_
#define FARM_SCHEDULER_SESSION_THREADS_H_

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace farm::scheduler {

class SessionThreads {
 public:
  SessionThreads() = default;
  SessionThreads(const SessionThreads&) = delete;
  SessionThreads& operator=(const SessionThreads&) = delete;
  // Joins every thread: the sessions must be told to end first.
  ~SessionThreads();

  // Runs `run` on a new thread, after joining the threads that have ended.
  void Start(std::function<void()> run);
  // Threads not joined yet (running, or ended since the last Start).
  size_t size();

 private:
  struct Runner {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  absl::Mutex mu_;
  std::list<Runner> runners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SESSION_THREADS_H_
