#include "client/local/idle_watch.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace farm::client::local {
namespace {

constexpr absl::Time kT0 = absl::FromUnixSeconds(1700000000);
constexpr absl::Duration kTimeout = absl::Seconds(60);

TEST(IdleWatchTest, IdleOnceTheTimeoutPassesWithoutCalls) {
  IdleWatch watch(kT0);
  EXPECT_FALSE(watch.Idle(kT0, false, kTimeout));
  EXPECT_FALSE(watch.Idle(kT0 + kTimeout - absl::Seconds(1), false, kTimeout));
  EXPECT_TRUE(watch.Idle(kT0 + kTimeout, false, kTimeout));
}

TEST(IdleWatchTest, NotIdleWhileACallIsInFlight) {
  IdleWatch watch(kT0);
  watch.CallStarted();
  EXPECT_EQ(watch.calls(), 1);
  EXPECT_FALSE(watch.Idle(kT0 + absl::Hours(1), false, kTimeout));
}

TEST(IdleWatchTest, NotIdleWhileTheCallerIsBusy) {
  IdleWatch watch(kT0);
  EXPECT_FALSE(watch.Idle(kT0 + absl::Hours(1), true, kTimeout));
}

TEST(IdleWatchTest, TheTimeoutCountsFromTheLastCallsEnd) {
  IdleWatch watch(kT0);
  watch.CallStarted();
  watch.CallStarted();
  watch.CallEnded(kT0 + absl::Seconds(30));
  EXPECT_FALSE(watch.Idle(kT0 + absl::Hours(1), false, kTimeout));
  const absl::Time end = kT0 + absl::Hours(1);
  watch.CallEnded(end);
  EXPECT_EQ(watch.calls(), 0);
  EXPECT_FALSE(watch.Idle(end + kTimeout - absl::Seconds(1), false, kTimeout));
  EXPECT_TRUE(watch.Idle(end + kTimeout, false, kTimeout));
}

}  // namespace
}  // namespace farm::client::local
