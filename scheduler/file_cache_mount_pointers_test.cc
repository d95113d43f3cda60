#include "scheduler/file_cache_mount_pointers.h"

#include "common/clock.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/cache_mount_pointers_conformance.h"

namespace farm::scheduler {
namespace {

using testing::CacheMountPointersConformanceTest;
using ::testing::HasSubstr;
using testing::PointersImpl;

PointersImpl FileImpl() {
  return {"File", []() -> absl::StatusOr<std::unique_ptr<CacheMountPointers>> {
            absl::StatusOr<std::string> dir = MakeTempDir("pointers");
            if (!dir.ok()) return dir.status();
            absl::StatusOr<std::unique_ptr<FileCacheMountPointers>> store =
                FileCacheMountPointers::Open(JoinPath(*dir, "p"));
            if (!store.ok()) return store.status();
            return std::unique_ptr<CacheMountPointers>(*std::move(store));
          }};
}

INSTANTIATE_TEST_SUITE_P(File, CacheMountPointersConformanceTest,
                         ::testing::Values(FileImpl()),
                         testing::PointersImplName);

class FileCacheMountPointersTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = JoinPath(*MakeTempDir("pointers"), "p"); }
  std::unique_ptr<FileCacheMountPointers> Open() {
    absl::StatusOr<std::unique_ptr<FileCacheMountPointers>> store =
        FileCacheMountPointers::Open(dir_, &clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::string dir_;
  SimulatedClock clock_;
};

TEST_F(FileCacheMountPointersTest, PointersSurviveAReopen) {
  // Ids are whatever the Dockerfile says, odd bytes included.
  const CacheMountKey odd{"team-a", std::string("np\nm\0x", 6)};
  {
    std::unique_ptr<FileCacheMountPointers> store = Open();
    ASSERT_TRUE(
        store->CompareAndSwap(odd, Digest(), {Digest::Of("g1"), 7}).ok());
    ASSERT_TRUE(
        store
            ->CompareAndSwap({"team-b", "apt"}, Digest(), {Digest::Of("b1"), 9})
            .ok());
  }
  std::unique_ptr<FileCacheMountPointers> store = Open();
  absl::StatusOr<MountGeneration> got = store->Get(odd);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->digest, Digest::Of("g1"));
  EXPECT_EQ(got->size_bytes, 7);
  EXPECT_EQ(store->Get({"team-b", "apt"})->digest, Digest::Of("b1"));
  // The compare-and-swap still compares against what was read back.
  EXPECT_EQ(store->CompareAndSwap(odd, Digest(), {Digest::Of("g2"), 1}).code(),
            absl::StatusCode::kAborted);
}

TEST_F(FileCacheMountPointersTest, AWriteCutShortLeavesTheOldPointer) {
  {
    std::unique_ptr<FileCacheMountPointers> store = Open();
    ASSERT_TRUE(
        store->CompareAndSwap({"t", "npm"}, Digest(), {Digest::Of("g1"), 1})
            .ok());
  }
  // What WriteFileAtomic leaves when the process dies before its rename.
  ASSERT_TRUE(WriteFile(JoinPath(dir_, "abc.pointer.tmp.42"), "garbage").ok());
  std::unique_ptr<FileCacheMountPointers> store = Open();
  EXPECT_EQ(store->Get({"t", "npm"})->digest, Digest::Of("g1"));
  EXPECT_FALSE(PathExists(JoinPath(dir_, "abc.pointer.tmp.42")));
}

TEST_F(FileCacheMountPointersTest, ADamagedPointerFileIsDataLoss) {
  ASSERT_TRUE(MakeDirs(dir_).ok());
  ASSERT_TRUE(WriteFile(JoinPath(dir_, "x.pointer"), "generation {").ok());
  absl::StatusOr<std::unique_ptr<FileCacheMountPointers>> store =
      FileCacheMountPointers::Open(dir_, &clock_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("x.pointer"));
}

}  // namespace
}  // namespace farm::scheduler
