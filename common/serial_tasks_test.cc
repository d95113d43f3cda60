#include "common/serial_tasks.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

TEST(SerialTasksTest, RunsTasksInOrderOffTheCallersThread) {
  std::vector<int> order;
  std::thread::id caller = std::this_thread::get_id();
  bool all_elsewhere = true;
  SerialTasks tasks;
  for (int i = 0; i < 5; ++i) {
    tasks.Add([&, i] {
      order.push_back(i);
      all_elsewhere = all_elsewhere && std::this_thread::get_id() != caller;
      return absl::OkStatus();
    });
  }
  EXPECT_TRUE(tasks.Wait().ok());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(all_elsewhere);
}

TEST(SerialTasksTest, AddReturnsBeforeTheTaskRuns) {
  absl::Notification release, ran;
  SerialTasks tasks;
  tasks.Add([&] {
    release.WaitForNotification();
    ran.Notify();
    return absl::OkStatus();
  });
  EXPECT_FALSE(ran.HasBeenNotified());
  release.Notify();
  EXPECT_TRUE(tasks.Wait().ok());
  EXPECT_TRUE(ran.HasBeenNotified());
}

TEST(SerialTasksTest, TheFirstFailureIsReportedAndLaterTasksAreSkipped) {
  int ran = 0;
  SerialTasks tasks;
  tasks.Add([&] { ++ran; return absl::OkStatus(); });
  tasks.Add([&] { ++ran; return absl::UnavailableError("cache went away"); });
  tasks.Add([&] { ++ran; return absl::InternalError("not reached"); });
  absl::Status status = tasks.Wait();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "cache went away");
  EXPECT_EQ(ran, 2);
}

TEST(SerialTasksTest, WaitWithoutTasksIsOk) {
  SerialTasks tasks;
  EXPECT_TRUE(tasks.Wait().ok());
}

TEST(SerialTasksTest, DestroyingWaitsForQueuedTasks) {
  int ran = 0;
  {
    SerialTasks tasks;
    for (int i = 0; i < 3; ++i) {
      tasks.Add([&] { ++ran; return absl::OkStatus(); });
    }
  }
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace farm
