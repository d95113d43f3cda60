#include "scheduler/cache_mount_pointers_conformance.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace farm::scheduler::testing {

namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

MountGeneration Gen(const std::string& content, int64_t size = 100) {
  return {Digest::Of(content), size};
}

const CacheMountKey kNpm{"team-a", "npm"};

}  // namespace

void CacheMountPointersConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<CacheMountPointers>> made = GetParam().make();
  ASSERT_TRUE(made.ok()) << made.status();
  store_ = *std::move(made);
}

TEST_P(CacheMountPointersConformanceTest, APointerNeverSetIsEmpty) {
  absl::StatusOr<MountGeneration> got = store_->Get(kNpm);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->digest.empty());
  absl::StatusOr<std::vector<Digest>> pointed = store_->Pointed();
  ASSERT_TRUE(pointed.ok());
  EXPECT_TRUE(pointed->empty());
}

TEST_P(CacheMountPointersConformanceTest, SwapsOnlyFromTheCurrentGeneration) {
  ASSERT_TRUE(store_->CompareAndSwap(kNpm, Digest(), Gen("g1", 11)).ok());
  absl::StatusOr<MountGeneration> got = store_->Get(kNpm);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->digest, Digest::Of("g1"));
  EXPECT_EQ(got->size_bytes, 11);

  // A worker that started from nothing, or from g1's predecessor, lost.
  absl::Status stale = store_->CompareAndSwap(kNpm, Digest(), Gen("g2"));
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  EXPECT_THAT(stale.message(), HasSubstr(Digest::Of("g1").ToString()));
  stale = store_->CompareAndSwap(kNpm, Digest::Of("g0"), Gen("g2"));
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  EXPECT_EQ(store_->Get(kNpm)->digest, Digest::Of("g1"));

  ASSERT_TRUE(store_->CompareAndSwap(kNpm, Digest::Of("g1"), Gen("g2")).ok());
  EXPECT_EQ(store_->Get(kNpm)->digest, Digest::Of("g2"));
}

TEST_P(CacheMountPointersConformanceTest, ARetriedSwapSucceeds) {
  ASSERT_TRUE(store_->CompareAndSwap(kNpm, Digest(), Gen("g1")).ok());
  ASSERT_TRUE(store_->CompareAndSwap(kNpm, Digest::Of("g1"), Gen("g2")).ok());
  // The answer to the first try was lost; the same write comes again.
  EXPECT_TRUE(store_->CompareAndSwap(kNpm, Digest::Of("g1"), Gen("g2")).ok());
  EXPECT_EQ(store_->Get(kNpm)->digest, Digest::Of("g2"));
}

TEST_P(CacheMountPointersConformanceTest, TenantsAndIdsArePointedApart) {
  const CacheMountKey theirs{"team-b", "npm"};
  const CacheMountKey other_id{"team-a", "apt"};
  // A tenant and id that would run together with the others' if they were
  // simply joined.
  const CacheMountKey joined{"team-an", "pm"};
  ASSERT_TRUE(store_->CompareAndSwap(kNpm, Digest(), Gen("a-npm")).ok());
  EXPECT_TRUE(store_->Get(theirs)->digest.empty());
  EXPECT_TRUE(store_->Get(other_id)->digest.empty());
  EXPECT_TRUE(store_->Get(joined)->digest.empty());
  ASSERT_TRUE(store_->CompareAndSwap(theirs, Digest(), Gen("b-npm")).ok());
  ASSERT_TRUE(store_->CompareAndSwap(other_id, Digest(), Gen("a-apt")).ok());
  EXPECT_EQ(store_->Get(kNpm)->digest, Digest::Of("a-npm"));
  EXPECT_EQ(store_->Get(theirs)->digest, Digest::Of("b-npm"));
  absl::StatusOr<std::vector<Digest>> pointed = store_->Pointed();
  ASSERT_TRUE(pointed.ok());
  EXPECT_THAT(*pointed,
              UnorderedElementsAre(Digest::Of("a-npm"), Digest::Of("b-npm"),
                                   Digest::Of("a-apt")));
}

TEST_P(CacheMountPointersConformanceTest,
       OfRacingSwapsFromOneGenerationOneWins) {
  ASSERT_TRUE(store_->CompareAndSwap(kNpm, Digest(), Gen("base")).ok());
  constexpr int kWorkers = 8;
  std::atomic<int> won{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      absl::Status status = store_->CompareAndSwap(
          kNpm, Digest::Of("base"), Gen(absl::StrCat("from-", i)));
      if (status.ok()) ++won;
      if (status.code() == absl::StatusCode::kAborted) ++aborted;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(aborted, kWorkers - 1);
}

}  // namespace farm::scheduler::testing
