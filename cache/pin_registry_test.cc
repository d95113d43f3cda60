#include "cache/pin_registry.h"

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using ::testing::UnorderedElementsAre;

class PinRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("pins");
    ASSERT_TRUE(dir.ok());
    dir_ = JoinPath(*dir, "pins");
    clock_.Set(absl::FromUnixSeconds(1000000));
  }
  void TearDown() override { RemoveAll(DirName(dir_)).IgnoreError(); }

  std::unique_ptr<PinRegistry> Open() {
    absl::StatusOr<std::unique_ptr<PinRegistry>> registry =
        PinRegistry::Open(dir_, &clock_, absl::Hours(24));
    EXPECT_TRUE(registry.ok()) << registry.status();
    return registry.ok() ? *std::move(registry) : nullptr;
  }

  std::string dir_;
  SimulatedClock clock_;
  const Digest a_ = Digest::Of("a");
  const Digest b_ = Digest::Of("b");
  const Digest c_ = Digest::Of("c");
};

TEST_F(PinRegistryTest, OwnersPinTogetherAndReplaceOnlyTheirOwn) {
  auto pins = Open();
  ASSERT_NE(pins, nullptr);
  EXPECT_THAT(*pins->Set("scheduler one", {a_, b_}),
              UnorderedElementsAre(a_, b_));
  EXPECT_THAT(*pins->Set("scheduler two", {b_, c_}),
              UnorderedElementsAre(a_, b_, c_));
  EXPECT_THAT(*pins->Set("scheduler one", {}), UnorderedElementsAre(b_, c_));
  EXPECT_FALSE(pins->Set("", {a_}).ok());
  EXPECT_FALSE(pins->Set("two\nlines", {a_}).ok());
}

TEST_F(PinRegistryTest, SurviveAReopenAndLapseWithoutRenewal) {
  {
    auto pins = Open();
    ASSERT_TRUE(pins->Set("old", {a_}).ok());
    clock_.Advance(absl::Hours(20));
    ASSERT_TRUE(pins->Set("fresh", {b_}).ok());
  }
  auto reopened = Open();
  EXPECT_THAT(reopened->All(), UnorderedElementsAre(a_, b_));
  clock_.Advance(absl::Hours(5));  // "old" is 25 h old, "fresh" 5 h
  EXPECT_THAT(reopened->All(), UnorderedElementsAre(b_));
  EXPECT_EQ(ListDir(dir_)->size(), 1u);
  // Renewal restarts the day (the same set within the hour is not news).
  clock_.Advance(absl::Hours(18));
  ASSERT_TRUE(reopened->Set("fresh", {b_}).ok());
  clock_.Advance(absl::Hours(18));
  EXPECT_THAT(Open()->All(), UnorderedElementsAre(b_));
}

TEST_F(PinRegistryTest, TheSameSetWithinTheHourIsNotRewritten) {
  auto pins = Open();
  ASSERT_TRUE(pins->Set("o", {a_}).ok());
  const std::string file = JoinPath(dir_, (*ListDir(dir_))[0]);
  const std::string first = *ReadFile(file);
  clock_.Advance(absl::Minutes(30));
  ASSERT_TRUE(pins->Set("o", {a_}).ok());
  EXPECT_EQ(*ReadFile(file), first);
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(pins->Set("o", {a_}).ok());
  EXPECT_NE(*ReadFile(file), first);
}

TEST_F(PinRegistryTest, AGarbledFileIsDataLoss) {
  ASSERT_TRUE(MakeDirs(dir_).ok());
  ASSERT_TRUE(WriteFile(JoinPath(dir_, "x.pins"), "owner\nnot-a-time\n").ok());
  EXPECT_EQ(PinRegistry::Open(dir_, &clock_).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(PinRegistryTest, InMemoryWithoutADirectory) {
  absl::StatusOr<std::unique_ptr<PinRegistry>> pins =
      PinRegistry::Open("", &clock_);
  ASSERT_TRUE(pins.ok());
  EXPECT_THAT(*(*pins)->Set("o", {a_}), UnorderedElementsAre(a_));
}

}  // namespace
}  // namespace farm::cache
