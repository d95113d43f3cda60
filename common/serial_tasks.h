// SerialTasks: runs fallible tasks one after another on a thread of its
// own, in the order they were added, for work a caller starts and collects
// later (a stage's layer uploads, which overlap the steps after them).
// After the first failure the tasks still queued are skipped.
#ifndef FARM_COMMON_SERIAL_TASKS_H_
#define FARM_COMMON_SERIAL_TASKS_H_

#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/blocking_queue.h"

namespace farm {

class SerialTasks {
 public:
  using Task = std::function<absl::Status()>;

  SerialTasks() = default;
  SerialTasks(const SerialTasks&) = delete;
  SerialTasks& operator=(const SerialTasks&) = delete;
  // Waits for the tasks already added.
  ~SerialTasks() { Wait().IgnoreError(); }

  // Queues `task`; the thread starts with the first one. Not after Wait.
  void Add(Task task);

  // Waits until every task added has run or been skipped; the first
  // failure, or OK. No task may be added afterwards.
  absl::Status Wait();

 private:
  void Loop();

  BlockingQueue<Task> queue_;
  std::thread thread_;
  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm

#endif  // FARM_COMMON_SERIAL_TASKS_H_
