#include "common/status_macros.h"

#include "common/clock.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagatesErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_EQ(CheckEven(3).message(), "odd");
}

TEST(StatusMacrosTest, AnnotateKeepsCode) {
  absl::Status s = Annotate(absl::NotFoundError("gone"), "pulling x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "pulling x: gone");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "ctx").ok());
}

TEST(SimulatedClockTest, AdvancesOnlyWhenTold) {
  SimulatedClock clock;
  absl::Time start = clock.Now();
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(clock.Now() - start, absl::Seconds(10));
}

}  // namespace
}  // namespace farm
