#include "cache/sharded/node_health.h"

#include "gtest/gtest.h"

namespace farm::cache {
namespace {

TEST(IsNodeFailureTest, OnlyUnavailableAndDeadlineExceeded) {
  EXPECT_TRUE(IsNodeFailure(absl::UnavailableError("x")));
  EXPECT_TRUE(IsNodeFailure(absl::DeadlineExceededError("x")));
  EXPECT_FALSE(IsNodeFailure(absl::OkStatus()));
  EXPECT_FALSE(IsNodeFailure(absl::NotFoundError("x")));
  EXPECT_FALSE(IsNodeFailure(absl::DataLossError("x")));
  EXPECT_FALSE(IsNodeFailure(absl::ResourceExhaustedError("x")));
}

TEST(NodeHealthTest, DownNodeIsSkippedForThePeriodThenTriedAgain) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  NodeHealth health(2, &clock, {absl::Seconds(5)});
  EXPECT_TRUE(health.IsUp(0));
  EXPECT_EQ(health.DownUntil(0), absl::InfinitePast());

  EXPECT_TRUE(health.MarkDown(0));
  EXPECT_FALSE(health.IsUp(0));
  EXPECT_TRUE(health.IsUp(1));
  EXPECT_EQ(health.DownUntil(0), absl::FromUnixSeconds(1005));

  clock.Advance(absl::Seconds(4));
  EXPECT_FALSE(health.IsUp(0));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(health.IsUp(0));
}

TEST(NodeHealthTest, MarkingADownNodeAgainExtendsTheSkipAndSaysSo) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  NodeHealth health(1, &clock, {absl::Seconds(5)});
  EXPECT_TRUE(health.MarkDown(0));
  clock.Advance(absl::Seconds(3));
  EXPECT_FALSE(health.MarkDown(0));  // already down: callers log once
  EXPECT_EQ(health.DownUntil(0), absl::FromUnixSeconds(1008));
  clock.Advance(absl::Seconds(5));
  EXPECT_TRUE(health.IsUp(0));
  EXPECT_TRUE(health.MarkDown(0));
}

}  // namespace
}  // namespace farm::cache
