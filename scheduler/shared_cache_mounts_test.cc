#include "scheduler/shared_cache_mounts.h"

#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/file_cache_mount_pointers.h"

namespace farm::scheduler {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class SharedCacheMountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pointers_ = *FileCacheMountPointers::Open(
        JoinPath(*MakeTempDir("shared-mounts"), "pointers"));
    mounts_ = std::make_unique<SharedCacheMounts>(
        &grants_, pointers_.get(), &blobs_,
        [this](absl::flat_hash_set<Digest> digests) {
          pinned_ = std::move(digests);
          return absl::OkStatus();
        });
    a_ = grants_.GrantFor("w1", "team-a");
    b_ = grants_.GrantFor("w1", "team-b");
  }

  // A generation stored in the CAS.
  MountGeneration Stored(const std::string& tar) {
    EXPECT_TRUE(cache::PutBlob(blobs_, tar).ok());
    return {Digest::Of(tar), static_cast<int64_t>(tar.size())};
  }

  CacheMountGrants grants_;
  cache::MemoryBlobStore blobs_;
  std::unique_ptr<FileCacheMountPointers> pointers_;
  std::unique_ptr<SharedCacheMounts> mounts_;
  absl::flat_hash_set<Digest> pinned_;
  std::string a_, b_;
};

TEST_F(SharedCacheMountsTest, AdvancesFromTheGenerationItStartedFromAndPins) {
  MountGeneration g1 = Stored("tar one");
  ASSERT_TRUE(mounts_->Advance(a_, "npm", Digest(), g1).ok());
  absl::StatusOr<MountGeneration> got = mounts_->Get(a_, "npm");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->digest, g1.digest);
  EXPECT_EQ(got->size_bytes, g1.size_bytes);
  EXPECT_THAT(pinned_, UnorderedElementsAre(g1.digest));

  // Two workers restored g1; the first to publish wins, the other's
  // generation is dropped and stays unpinned.
  MountGeneration g2 = Stored("tar two");
  MountGeneration late = Stored("tar late");
  ASSERT_TRUE(mounts_->Advance(a_, "npm", g1.digest, g2).ok());
  absl::Status lost = mounts_->Advance(a_, "npm", g1.digest, late);
  EXPECT_EQ(lost.code(), absl::StatusCode::kAborted) << lost;
  EXPECT_EQ(mounts_->Get(a_, "npm")->digest, g2.digest);
  EXPECT_THAT(pinned_, UnorderedElementsAre(g2.digest));
}

TEST_F(SharedCacheMountsTest, ATenantNeverReachesAnothersPointer) {
  ASSERT_TRUE(mounts_->Advance(a_, "npm", Digest(), Stored("a's cache")).ok());
  // team-b's grant reads and advances team-b's npm, which is empty.
  EXPECT_TRUE(mounts_->Get(b_, "npm")->digest.empty());
  EXPECT_EQ(
      mounts_->Advance(b_, "npm", Digest::Of("a's cache"), Stored("b's cache"))
          .code(),
      absl::StatusCode::kAborted);
  EXPECT_EQ(mounts_->Get(a_, "npm")->digest, Digest::Of("a's cache"));
}

TEST_F(SharedCacheMountsTest, RefusesWhatItCannotTrust) {
  MountGeneration g = Stored("tar");
  absl::Status no_grant = mounts_->Advance("forged", "npm", Digest(), g);
  EXPECT_EQ(no_grant.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(mounts_->Get("", "npm").status().code(),
            absl::StatusCode::kPermissionDenied);
  grants_.Revoke("w1");
  EXPECT_EQ(mounts_->Get(a_, "npm").status().code(),
            absl::StatusCode::kPermissionDenied);
  a_ = grants_.GrantFor("w1", "team-a");

  EXPECT_EQ(mounts_->Get(a_, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(mounts_->Get(a_, std::string(kMaxCacheMountIdBytes + 1, 'x'))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);

  // The blob must be in the cache, with the size the worker says.
  absl::Status missing =
      mounts_->Advance(a_, "npm", Digest(), {Digest::Of("never stored"), 12});
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.message(), HasSubstr("not in the cache"));
  EXPECT_EQ(mounts_->Advance(a_, "npm", Digest(), {g.digest, g.size_bytes + 1})
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(mounts_->Get(a_, "npm")->digest.empty());
}

TEST_F(SharedCacheMountsTest, PinAllPinsEveryTenantsNewestGeneration) {
  MountGeneration a = Stored("a");
  MountGeneration b = Stored("b");
  ASSERT_TRUE(mounts_->Advance(a_, "npm", Digest(), a).ok());
  ASSERT_TRUE(mounts_->Advance(b_, "npm", Digest(), b).ok());
  pinned_.clear();
  ASSERT_TRUE(mounts_->PinAll().ok());
  EXPECT_THAT(pinned_, UnorderedElementsAre(a.digest, b.digest));
}

}  // namespace
}  // namespace farm::scheduler
