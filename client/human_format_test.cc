#include "client/human_format.h"

#include "gtest/gtest.h"

namespace farm::client {
namespace {

TEST(HumanFormatTest, SizesLikeDocker) {
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(999999), "1MB");
  EXPECT_EQ(HumanSize(12345, 4), "12.35kB");
  EXPECT_EQ(HumanSize(999999, 4), "1MB");
  EXPECT_EQ(HumanSize(999), "999B");
  EXPECT_EQ(HumanSize(2150400), "2.15MB");
  EXPECT_EQ(HumanSize(123456), "123kB");
  EXPECT_EQ(HumanSize(1500000000), "1.5GB");
}

TEST(HumanFormatTest, DurationsLikeDocker) {
  EXPECT_EQ(HumanDuration(absl::Milliseconds(300)), "Less than a second");
  EXPECT_EQ(HumanDuration(absl::Seconds(1)), "1 second");
  EXPECT_EQ(HumanDuration(absl::Seconds(42)), "42 seconds");
  EXPECT_EQ(HumanDuration(absl::Seconds(90)), "About a minute");
  EXPECT_EQ(HumanDuration(absl::Minutes(59)), "59 minutes");
  EXPECT_EQ(HumanDuration(absl::Minutes(70)), "About an hour");
  EXPECT_EQ(HumanDuration(absl::Hours(30)), "30 hours");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 5)), "5 days");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 20)), "2 weeks");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 100)), "3 months");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 365 * 3)), "3 years");
}

TEST(HumanFormatTest, TablesPadByThreeSpaces) {
  EXPECT_EQ(FormatTable({{"A", "BB", "C"}, {"long", "x", "y"}}),
            "A      BB   C\nlong   x    y\n");
}

}  // namespace
}  // namespace farm::client
