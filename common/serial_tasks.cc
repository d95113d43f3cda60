#include "common/serial_tasks.h"

#include <utility>

namespace farm {

void SerialTasks::Add(Task task) {
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  queue_.Push(std::move(task));
}

absl::Status SerialTasks::Wait() {
  queue_.Close();
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  return first_error_;
}

void SerialTasks::Loop() {
  while (std::optional<Task> task = queue_.Pop()) {
    {
      absl::MutexLock lock(&mu_);
      if (!first_error_.ok()) continue;
    }
    absl::Status status = (*task)();
    absl::MutexLock lock(&mu_);
    if (first_error_.ok()) first_error_ = std::move(status);
  }
}

}  // namespace farm
