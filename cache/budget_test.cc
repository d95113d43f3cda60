#include "cache/budget.h"

#include <sys/statvfs.h>

#include "gtest/gtest.h"

namespace farm::cache {
namespace {

uint64_t RootBytes() {
  struct statvfs fs;
  EXPECT_EQ(statvfs("/", &fs), 0);
  return static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
}

TEST(BudgetTest, BytesAreTakenAsGiven) {
  absl::StatusOr<Budget> budget = ResolveBudget("1000000", "/");
  ASSERT_TRUE(budget.ok()) << budget.status();
  EXPECT_EQ(budget->bytes, 1000000u);
  EXPECT_EQ(ResolveBudget("0", "/")->bytes, 0u);
  EXPECT_EQ(ResolveBudget("0", "/")->description, "none (0)");
}

TEST(BudgetTest, AShareIsOfTheFilesystemOfTheNearestExistingParent) {
  absl::StatusOr<Budget> half =
      ResolveBudget("50%", "/no/such/dir/made/yet/cache");
  ASSERT_TRUE(half.ok()) << half.status();
  const uint64_t root = RootBytes();
  EXPECT_NEAR(static_cast<double>(half->bytes), root / 2.0, root * 0.001);
  EXPECT_NE(half->description.find("50% of the"), std::string::npos)
      << half->description;
  EXPECT_EQ(ResolveBudget("100%", "/")->bytes, root);
}

TEST(BudgetTest, NonsenseIsRefused) {
  for (const char* bad : {"", "-5", "0%", "150%", "x%", "10GB", "%"}) {
    EXPECT_EQ(ResolveBudget(bad, "/").status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace farm::cache
