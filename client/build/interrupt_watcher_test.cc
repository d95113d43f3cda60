#include "client/build/interrupt_watcher.h"

#include <signal.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

TEST(InterruptWatcherTest, CountsSignalsOnItsOwnThread) {
  std::atomic<int> last{0};
  std::atomic<int> terms{0};
  absl::Notification second, term;
  {
    auto watcher = InterruptWatcher::Start([&](int signal, int n) {
      if (signal == SIGTERM) {
        terms = n;
        term.Notify();
        return;
      }
      EXPECT_EQ(signal, SIGINT);
      last = n;
      if (n == 2) second.Notify();
    });
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    auto another = InterruptWatcher::Start([](int, int) {});
    EXPECT_EQ(another.status().code(), absl::StatusCode::kFailedPrecondition);

    ASSERT_EQ(raise(SIGINT), 0);
    for (int i = 0; i < 1000 && last.load() != 1; ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_EQ(last.load(), 1);
    ASSERT_EQ(raise(SIGINT), 0);
    EXPECT_TRUE(second.WaitForNotificationWithTimeout(absl::Seconds(10)));
    ASSERT_EQ(raise(SIGTERM), 0);
    EXPECT_TRUE(term.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(terms.load(), 1);
    EXPECT_EQ(last.load(), 2);
  }
  // The previous disposition (the default) is back, and the watcher's
  // slot is free again.
  struct sigaction now = {};
  ASSERT_EQ(sigaction(SIGINT, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
  auto again = InterruptWatcher::Start([](int, int) {});
  EXPECT_TRUE(again.ok()) << again.status();
}

}  // namespace
}  // namespace farm::client::build
