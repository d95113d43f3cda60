#include "cache/lru_index.h"

#include "gtest/gtest.h"

namespace farm::cache {
namespace {

Digest D(int i) { return Digest::Of(std::to_string(i)); }

std::vector<Digest> Names(const std::vector<std::pair<Digest, uint64_t>>& v) {
  std::vector<Digest> out;
  for (const auto& [digest, size] : v) out.push_back(digest);
  return out;
}

TEST(LruIndexTest, TracksCountAndBytes) {
  LruIndex index;
  index.Insert(D(1), 10);
  index.Insert(D(2), 20);
  EXPECT_EQ(index.count(), 2u);
  EXPECT_EQ(index.total_bytes(), 30u);
  EXPECT_EQ(index.Size(D(2)), 20u);
  EXPECT_EQ(index.Size(D(3)), std::nullopt);
  // Re-inserting replaces the size rather than adding to it.
  index.Insert(D(2), 25);
  EXPECT_EQ(index.count(), 2u);
  EXPECT_EQ(index.total_bytes(), 35u);
  EXPECT_TRUE(index.Erase(D(1)));
  EXPECT_FALSE(index.Erase(D(1)));
  EXPECT_EQ(index.total_bytes(), 25u);
  EXPECT_FALSE(index.Contains(D(1)));
}

TEST(LruIndexTest, VictimsAreLeastRecentlyUsedFirst) {
  LruIndex index;
  for (int i = 1; i <= 4; ++i) index.Insert(D(i), 10);
  ASSERT_TRUE(index.Touch(D(1)));  // order now 2, 3, 4, 1
  EXPECT_FALSE(index.Touch(D(9)));
  EXPECT_EQ(Names(index.Victims(20, {})), (std::vector<Digest>{D(2), D(3)}));
  EXPECT_EQ(Names(index.Victims(25, {})), (std::vector<Digest>{D(2), D(3)}));
  EXPECT_EQ(Names(index.Victims(40, {})), std::vector<Digest>{});
  EXPECT_EQ(Names(index.Victims(0, {})),
            (std::vector<Digest>{D(2), D(3), D(4), D(1)}));
}

TEST(LruIndexTest, VictimsSkipKeptBlobs) {
  LruIndex index;
  for (int i = 1; i <= 3; ++i) index.Insert(D(i), 10);
  EXPECT_EQ(Names(index.Victims(10, {D(1)})),
            (std::vector<Digest>{D(2), D(3)}));
  // Everything kept: nothing to evict even though over target.
  EXPECT_TRUE(index.Victims(0, {D(1), D(2), D(3)}).empty());
}

}  // namespace
}  // namespace farm::cache
