#include "worker/executor/cancellation.h"

#include <poll.h>

#include <thread>

#include "gtest/gtest.h"

namespace farm::executor {
namespace {

bool Readable(int fd, int timeout_ms) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

TEST(CancellationTest, FdTurnsReadableOnCancelAndStaysSo) {
  Cancellation cancel;
  ASSERT_GE(cancel.fd(), 0);
  EXPECT_FALSE(cancel.IsCancelled());
  EXPECT_FALSE(Readable(cancel.fd(), 0));
  cancel.Cancel();
  cancel.Cancel();  // idempotent
  EXPECT_TRUE(cancel.IsCancelled());
  // Several waiters may poll it; none consumes the event.
  EXPECT_TRUE(Readable(cancel.fd(), 0));
  EXPECT_TRUE(Readable(cancel.fd(), 0));
}

TEST(CancellationTest, WakesAPollerInAnotherThread) {
  Cancellation cancel;
  bool woke = false;
  std::thread waiter([&] { woke = Readable(cancel.fd(), 10000); });
  cancel.Cancel();
  waiter.join();
  EXPECT_TRUE(woke);
}

}  // namespace
}  // namespace farm::executor
