// The read-through tier's rules over two in-memory stores: what each tier
// holds after reads and writes, and what a failing tier costs.
#include "cache/forwarding_blob_store.h"
#include "cache/memory_cache.h"
#include "cache/tiered/read_through_action_cache.h"
#include "cache/tiered/read_through_blob_store.h"
#include "cache/tiered/tiered_cache_admin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using ::testing::ElementsAre;

// A slow store whose uploads fail at Commit, as an object store that is
// down does.
class CommitFailingStore : public ForwardingBlobStore {
 public:
  using ForwardingBlobStore::ForwardingBlobStore;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(const Digest&) override {
    class Failing : public BlobWriter {
     public:
      absl::Status Write(absl::string_view) override {
        return absl::OkStatus();
      }
      absl::Status Commit() override {
        return absl::UnavailableError("object store down");
      }
    };
    return std::unique_ptr<BlobWriter>(new Failing);
  }
};

class ReadThroughTest : public ::testing::Test {
 protected:
  bool InFast(const Digest& d) { return fast_.blobs()->Contains(d); }
  bool InSlow(const Digest& d) { return slow_.blobs()->Contains(d); }

  MemoryCache fast_{/*max_bytes=*/1000};
  MemoryCache slow_;
  ReadThroughBlobStore store_{fast_.blobs(), slow_.blobs()};
};

TEST_F(ReadThroughTest, PutReachesBothTiers) {
  ASSERT_TRUE(PutBlob(store_, "layer").ok());
  EXPECT_TRUE(InFast(Digest::Of("layer")));
  EXPECT_TRUE(InSlow(Digest::Of("layer")));
  EXPECT_THAT(*store_.FindMissing({Digest::Of("layer"), Digest::Of("no")}),
              ElementsAre(Digest::Of("no")));
}

TEST_F(ReadThroughTest, AnEmptyFastTierLosesNothingAndRefills) {
  ASSERT_TRUE(PutBlob(store_, "layer").ok());
  Digest digest = Digest::Of("layer");
  ASSERT_TRUE(fast_.blobs()->Delete(digest).ok());  // a node back empty
  EXPECT_THAT(*store_.FindMissing({digest}), ::testing::IsEmpty());
  EXPECT_EQ(store_.Stat(digest)->size, 5u);
  EXPECT_EQ(*GetBlob(store_, digest), "layer");
  EXPECT_TRUE(InFast(digest));
  EXPECT_EQ(store_.counters().slow_reads.load(), 1u);
  EXPECT_EQ(store_.counters().fills.load(), 2u);  // the Put, then the read
  // The next read is the fast tier's.
  EXPECT_EQ(*GetBlob(store_, digest), "layer");
  EXPECT_EQ(store_.counters().fast_hits.load(), 1u);
}

TEST_F(ReadThroughTest, AReadStoppedHalfWayKeepsNothing) {
  ASSERT_TRUE(PutBlob(*slow_.blobs(), "0123456789").ok());
  Digest digest = Digest::Of("0123456789");
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = store_.Get(digest);
  ASSERT_TRUE(reader.ok());
  char buf[4];
  ASSERT_EQ(*(*reader)->Read(buf, sizeof(buf)), 4u);
  reader->reset();
  EXPECT_FALSE(InFast(digest));
}

TEST_F(ReadThroughTest, AFullFastTierDoesNotFailTheWrite) {
  std::string big(2000, 'x');  // over the fast tier's whole budget
  ASSERT_TRUE(PutBlob(store_, big).ok());
  EXPECT_TRUE(InSlow(Digest::Of(big)));
  EXPECT_FALSE(InFast(Digest::Of(big)));
  EXPECT_EQ(store_.counters().fill_failures.load(), 1u);
  EXPECT_EQ(*GetBlob(store_, Digest::Of(big)), big);
}

TEST_F(ReadThroughTest, AWriteTheSlowTierRefusesIsNotAcknowledgedOrKept) {
  CommitFailingStore down(slow_.blobs());
  ReadThroughBlobStore store(fast_.blobs(), &down);
  EXPECT_EQ(PutBlob(store, "layer").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(InFast(Digest::Of("layer")));
}

TEST_F(ReadThroughTest, ABlobTheFastTierHoldsIsNotUploadedAgain) {
  ASSERT_TRUE(PutBlob(store_, "manifest").ok());
  CommitFailingStore down(slow_.blobs());
  ReadThroughBlobStore store(fast_.blobs(), &down);
  EXPECT_TRUE(PutBlob(store, "manifest").ok());
  // The bytes are still checked.
  absl::StatusOr<std::unique_ptr<BlobWriter>> wrong =
      store.Put(Digest::Of("manifest"));
  ASSERT_TRUE(wrong.ok());
  ASSERT_TRUE((*wrong)->Write("other").ok());
  EXPECT_EQ((*wrong)->Commit().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReadThroughTest, GetSmallTakesWhatTheFastTierLacksFromTheSlowOne) {
  ASSERT_TRUE(PutBlob(store_, "a").ok());
  ASSERT_TRUE(PutBlob(*slow_.blobs(), "b").ok());
  std::vector<absl::StatusOr<std::string>> blobs =
      store_.GetSmall({Digest::Of("a"), Digest::Of("b"), Digest::Of("c")});
  ASSERT_EQ(blobs.size(), 3u);
  EXPECT_EQ(*blobs[0], "a");
  EXPECT_EQ(*blobs[1], "b");
  EXPECT_EQ(blobs[2].status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(InFast(Digest::Of("b")));
}

TEST_F(ReadThroughTest, DeleteRemovesFromBothTiers) {
  ASSERT_TRUE(PutBlob(store_, "layer").ok());
  ASSERT_TRUE(store_.Delete(Digest::Of("layer")).ok());
  EXPECT_FALSE(InFast(Digest::Of("layer")));
  EXPECT_FALSE(InSlow(Digest::Of("layer")));
}

TEST_F(ReadThroughTest, PutFileReachesBothTiersAndLeavesTheFile) {
  std::string path = ::testing::TempDir() + "/read_through_put_file";
  {
    FILE* file = fopen(path.c_str(), "w");
    fputs("from a file", file);
    fclose(file);
  }
  Digest digest = Digest::Of("from a file");
  ASSERT_TRUE(store_.PutFile(digest, path).ok());
  EXPECT_TRUE(InFast(digest));
  EXPECT_TRUE(InSlow(digest));
}

TEST_F(ReadThroughTest, AdminDeleteRefusesPinnedBlobsBeforeTouchingTheStore) {
  ASSERT_TRUE(PutBlob(store_, "pinned").ok());
  TieredCacheAdmin admin(&fast_, slow_.blobs());
  ASSERT_TRUE(admin.SetPins("scheduler", {Digest::Of("pinned")}).ok());
  EXPECT_EQ(admin.Delete({Digest::Of("pinned")}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(InSlow(Digest::Of("pinned")));
  ASSERT_TRUE(admin.SetPins("scheduler", {}).ok());
  ASSERT_TRUE(admin.Delete({Digest::Of("pinned")}).ok());
  EXPECT_FALSE(InSlow(Digest::Of("pinned")));
}

proto::ActionResult EmptyLayerResult(const std::string& created_by) {
  proto::ActionResult result;
  result.set_empty_layer(true);
  result.set_created_by(created_by);
  return result;
}

TEST(ReadThroughActionCacheTest, MissInTheFastCacheIsAskedOfTheSlowAndKept) {
  MemoryActionCache fast, slow;
  ReadThroughActionCache cache(&fast, &slow);
  Digest key = Digest::Of("key");
  ASSERT_TRUE(slow.Update(key, EmptyLayerResult("RUN a")).ok());
  absl::StatusOr<proto::ActionResult> hit = cache.Get(key);
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_EQ(hit->created_by(), "RUN a");
  EXPECT_TRUE(fast.Get(key).ok());
  EXPECT_EQ(cache.Get(Digest::Of("other")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ReadThroughActionCacheTest, UpdateReachesTheSlowCacheFirst) {
  MemoryActionCache fast, slow;
  ReadThroughActionCache cache(&fast, &slow);
  Digest key = Digest::Of("key");
  ASSERT_TRUE(cache.Update(key, EmptyLayerResult("RUN b")).ok());
  EXPECT_TRUE(slow.Get(key).ok());
  EXPECT_TRUE(fast.Get(key).ok());
  proto::ActionResult both_set = EmptyLayerResult("bad");
  both_set.mutable_layer()->set_digest("sha256:nothex");
  EXPECT_FALSE(cache.Update(Digest::Of("k2"), both_set).ok());
  EXPECT_EQ(fast.Get(Digest::Of("k2")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace farm::cache
