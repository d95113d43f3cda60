#include "scheduler/context_upload.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cache/memory_blob_store.h"
#include "gtest/gtest.h"

namespace farm::scheduler {
namespace {

proto::BlobChunk Chunk(const std::string& content, const std::string& data,
                       bool last) {
  proto::BlobChunk chunk;
  chunk.set_digest(Digest::Of(content).ToString());
  chunk.set_data(data);
  chunk.set_last(last);
  return chunk;
}

class ContextUploadTest : public ::testing::Test {
 protected:
  std::string Stored(const std::string& content) {
    absl::StatusOr<std::string> blob =
        cache::GetBlob(blobs_, Digest::Of(content));
    EXPECT_TRUE(blob.ok()) << blob.status();
    return blob.ok() ? *blob : "";
  }

  cache::MemoryBlobStore blobs_;
};

TEST_F(ContextUploadTest, NothingAskedIsDoneAtOnce) {
  ContextUpload upload({}, &blobs_);
  EXPECT_TRUE(upload.done());
  EXPECT_EQ(upload.written_bytes(), 0);
}

TEST_F(ContextUploadTest, ABlobInChunksIsStoredWhenItsLastChunkArrives) {
  ContextUpload upload({Digest::Of("hello world")}, &blobs_);
  ASSERT_TRUE(upload.OnChunk(Chunk("hello world", "hello ", false)).ok());
  EXPECT_FALSE(upload.done());
  EXPECT_FALSE(blobs_.Contains(Digest::Of("hello world")));
  ASSERT_TRUE(upload.OnChunk(Chunk("hello world", "world", true)).ok());
  EXPECT_TRUE(upload.done());
  EXPECT_EQ(Stored("hello world"), "hello world");
  EXPECT_EQ(upload.written_bytes(), 11);
}

TEST_F(ContextUploadTest, DoneOnlyWhenEveryBlobAskedIsStored) {
  ContextUpload upload({Digest::Of("a"), Digest::Of("bb"), Digest::Of("")},
                       &blobs_);
  ASSERT_TRUE(upload.OnChunk(Chunk("bb", "bb", true)).ok());
  ASSERT_TRUE(upload.OnChunk(Chunk("", "", true)).ok());
  EXPECT_FALSE(upload.done());
  ASSERT_TRUE(upload.OnChunk(Chunk("a", "a", true)).ok());
  EXPECT_TRUE(upload.done());
  EXPECT_EQ(Stored("a"), "a");
  EXPECT_EQ(Stored("bb"), "bb");
  EXPECT_TRUE(blobs_.Contains(Digest::Of("")));
}

TEST_F(ContextUploadTest, ABlobNotAskedForIsRefused) {
  ContextUpload upload({Digest::Of("asked")}, &blobs_);
  absl::Status status = upload.OnChunk(Chunk("other", "other", true));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "the client sent blob " +
                                  Digest::Of("other").ToString() +
                                  ", which the build did not ask for");
  EXPECT_FALSE(blobs_.Contains(Digest::Of("other")));
  EXPECT_FALSE(upload.done());
}

TEST_F(ContextUploadTest, ABlobSentAgainAfterItWasStoredIsIgnored) {
  ContextUpload upload({Digest::Of("a"), Digest::Of("b")}, &blobs_);
  ASSERT_TRUE(upload.OnChunk(Chunk("a", "a", true)).ok());
  // Even with bytes that would not match, a repeat is not written.
  EXPECT_TRUE(upload.OnChunk(Chunk("a", "garbage", true)).ok());
  EXPECT_EQ(Stored("a"), "a");
  EXPECT_FALSE(upload.done());
  EXPECT_EQ(upload.written_bytes(), 1);
}

TEST_F(ContextUploadTest, AReattachedClientStartsItsBlobOver) {
  const std::string content = "0123456789";
  ContextUpload upload({Digest::Of(content)}, &blobs_);
  ASSERT_TRUE(upload.OnChunk(Chunk(content, "01234", false)).ok());
  upload.OnReattach();
  ASSERT_TRUE(upload.OnChunk(Chunk(content, "01234", false)).ok());
  ASSERT_TRUE(upload.OnChunk(Chunk(content, "56789", true)).ok());
  EXPECT_TRUE(upload.done());
  EXPECT_EQ(Stored(content), content);
  // Every byte that arrived counts, the dropped ones too.
  EXPECT_EQ(upload.written_bytes(), 15);
}

TEST_F(ContextUploadTest, WithoutAReattachARepeatedChunkCorruptsTheBlob) {
  const std::string content = "0123456789";
  ContextUpload upload({Digest::Of(content)}, &blobs_);
  ASSERT_TRUE(upload.OnChunk(Chunk(content, "01234", false)).ok());
  ASSERT_TRUE(upload.OnChunk(Chunk(content, "01234", false)).ok());
  absl::Status status = upload.OnChunk(Chunk(content, "56789", true));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StartsWith(status.message(),
                       "context file " + Digest::Of(content).ToString() + ": "))
      << status;
  EXPECT_FALSE(blobs_.Contains(Digest::Of(content)));
  EXPECT_FALSE(upload.done());
}

TEST_F(ContextUploadTest, ABlobBeganAgainAfterAnotherStartsOver) {
  // A client that switches blobs mid-way leaves the first unfinished; it
  // is taken from its start when it comes back.
  ContextUpload upload({Digest::Of("first"), Digest::Of("second")}, &blobs_);
  ASSERT_TRUE(upload.OnChunk(Chunk("first", "fir", false)).ok());
  ASSERT_TRUE(upload.OnChunk(Chunk("second", "second", true)).ok());
  ASSERT_TRUE(upload.OnChunk(Chunk("first", "first", true)).ok());
  EXPECT_TRUE(upload.done());
  EXPECT_EQ(Stored("first"), "first");
}

TEST_F(ContextUploadTest, AFullStoreFailsTheUpload) {
  cache::MemoryBlobStore small(/*max_bytes=*/4);
  ContextUpload upload({Digest::Of("far too large")}, &small);
  absl::Status status =
      upload.OnChunk(Chunk("far too large", "far too large", true));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_FALSE(upload.done());
}

}  // namespace
}  // namespace farm::scheduler
