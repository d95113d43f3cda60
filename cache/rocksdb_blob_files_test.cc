// RocksDbCache with blobs in plain files: where the files go, and what a
// crash, an eviction, a prune or a delete leaves of them.
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/rocksdb_cache.h"
#include "cache/testing/test_bytes.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using testing::TestBytes;

class RocksDbBlobFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("rocksdb_blob_files_test");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    options_.root = dir_ + "/db";
    options_.chunk_size = 4096;
    options_.min_blob_size = 1024;
    options_.file_threshold = 8192;
    options_.clock = &clock_;
    files_ = options_.root + "/files";
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  std::unique_ptr<RocksDbCache> Open() {
    absl::StatusOr<std::unique_ptr<RocksDbCache>> cache =
        RocksDbCache::Open(options_);
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? std::move(*cache) : nullptr;
  }

  std::string PathOf(const Digest& digest) {
    return absl::StrCat(files_, "/", digest.hex().substr(0, 2), "/",
                        digest.hex());
  }
  // Blob files (not temp files), as digests' hex names.
  std::vector<std::string> BlobFiles() {
    std::vector<std::string> out;
    std::vector<std::string> prefixes = ListDir(files_).value();
    for (const std::string& prefix : prefixes) {
      if (prefix == "tmp") continue;
      std::vector<std::string> names = ListDir(files_ + "/" + prefix).value();
      out.insert(out.end(), names.begin(), names.end());
    }
    return out;
  }
  std::vector<std::string> TempFiles() {
    return ListDir(files_ + "/tmp").value();
  }

  void CheckCrashLeftoversAreCleaned();

  SimulatedClock clock_{absl::FromUnixSeconds(1700000000)};
  std::string dir_;
  std::string files_;
  RocksDbCache::Options options_;
};

TEST_F(RocksDbBlobFilesTest, OnlyBlobsPastTheThresholdBecomeFiles) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string large = TestBytes(20'000, 1);
  std::string at_threshold = TestBytes(8192, 2);
  ASSERT_TRUE(PutBlob(*cache->blobs(), large).ok());
  ASSERT_TRUE(PutBlob(*cache->blobs(), at_threshold).ok());
  EXPECT_THAT(BlobFiles(), ElementsAre(Digest::Of(large).hex()));
  EXPECT_EQ(*ReadFile(PathOf(Digest::Of(large))), large);
  EXPECT_THAT(TempFiles(), IsEmpty());
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(large)), large);
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(at_threshold)), at_threshold);
  EXPECT_EQ(cache->Stats()->blob_bytes, 20'000u + 8192u);
}

TEST_F(RocksDbBlobFilesTest, AbandonedAndWrongUploadsLeaveNoTempFile) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string data = TestBytes(20'000, 3);
  {
    absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
        cache->blobs()->Put(Digest::Of(data));
    ASSERT_TRUE((*writer)->Write(data).ok());
    EXPECT_THAT(TempFiles(), ::testing::SizeIs(1));
  }
  EXPECT_THAT(TempFiles(), IsEmpty());
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
      cache->blobs()->Put(Digest::Of("something else"));
  ASSERT_TRUE((*writer)->Write(data).ok());
  EXPECT_EQ((*writer)->Commit().code(), absl::StatusCode::kInvalidArgument);
  writer->reset();
  EXPECT_THAT(TempFiles(), IsEmpty());
  EXPECT_THAT(BlobFiles(), IsEmpty());
}

TEST_F(RocksDbBlobFilesTest, TwoUploadsOfOneBlobKeepOneFile) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string data = TestBytes(20'000, 4);
  Digest digest = Digest::Of(data);
  auto first = cache->blobs()->Put(digest);
  auto second = cache->blobs()->Put(digest);
  ASSERT_TRUE((*first)->Write(data).ok());
  ASSERT_TRUE((*second)->Write(data).ok());
  ASSERT_TRUE((*first)->Commit().ok());
  ASSERT_TRUE((*second)->Commit().ok());
  EXPECT_THAT(BlobFiles(), ElementsAre(digest.hex()));
  EXPECT_THAT(TempFiles(), IsEmpty());
  EXPECT_EQ(cache->Stats()->blob_count, 1u);
}

TEST_F(RocksDbBlobFilesTest, PutFileRenamesABigFileAndCopiesASmallOne) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string big = TestBytes(20'000, 10);
  std::string small = TestBytes(100, 11);
  const std::string big_path = dir_ + "/big";
  const std::string small_path = dir_ + "/small";
  ASSERT_TRUE(WriteFile(big_path, big).ok());
  ASSERT_TRUE(WriteFile(small_path, small).ok());
  struct stat before;
  ASSERT_EQ(stat(big_path.c_str(), &before), 0);

  ASSERT_TRUE(cache->blobs()->PutFile(Digest::Of(big), big_path).ok());
  ASSERT_TRUE(cache->blobs()->PutFile(Digest::Of(small), small_path).ok());
  // The big file itself became the blob; the small one was copied.
  struct stat after;
  ASSERT_EQ(stat(PathOf(Digest::Of(big)).c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_FALSE(PathExists(big_path));
  EXPECT_TRUE(PathExists(small_path));
  EXPECT_THAT(TempFiles(), IsEmpty());
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(big)), big);
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(small)), small);
  EXPECT_EQ(cache->Stats()->blob_bytes, 20'000u + 100u);
}

TEST_F(RocksDbBlobFilesTest, PutFileOfAStoredBlobKeepsOneFile) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string data = TestBytes(20'000, 12);
  ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  const std::string path = dir_ + "/again";
  ASSERT_TRUE(WriteFile(path, data).ok());
  ASSERT_TRUE(cache->blobs()->PutFile(Digest::Of(data), path).ok());
  EXPECT_THAT(BlobFiles(), ElementsAre(Digest::Of(data).hex()));
  EXPECT_THAT(TempFiles(), IsEmpty());
  EXPECT_EQ(cache->Stats()->blob_count, 1u);
}

TEST_F(RocksDbBlobFilesTest, AWrongDigestGivenToPutFileIsCaughtOnRead) {
  // The caller vouches for the digest; the read that follows does not trust
  // it, and drops the blob.
  std::unique_ptr<RocksDbCache> cache = Open();
  const std::string path = dir_ + "/liar";
  ASSERT_TRUE(WriteFile(path, TestBytes(20'000, 13)).ok());
  const Digest claimed = Digest::Of("other bytes");
  ASSERT_TRUE(cache->blobs()->PutFile(claimed, path).ok());
  EXPECT_EQ(GetBlob(*cache->blobs(), claimed).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_THAT(*cache->blobs()->FindMissing({claimed}), ElementsAre(claimed));
}

TEST_F(RocksDbBlobFilesTest, CrashLeftoversAreCleanedAtOpen) {
  CheckCrashLeftoversAreCleaned();
}

// Lazily, the clean-up waits for the index (Stats here), and the reads
// before it already see what it will drop as missing.
TEST_F(RocksDbBlobFilesTest, CrashLeftoversAreCleanedWhenIndexingLazily) {
  options_.index_blobs_at_open = false;
  CheckCrashLeftoversAreCleaned();
}

void RocksDbBlobFilesTest::CheckCrashLeftoversAreCleaned() {
  std::string kept = TestBytes(20'000, 5);
  std::string lost = TestBytes(20'000, 6);
  std::string torn = TestBytes(20'000, 7);
  std::string orphan = TestBytes(20'000, 8);
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    for (const std::string* data : {&kept, &lost, &torn}) {
      ASSERT_TRUE(PutBlob(*cache->blobs(), *data).ok());
    }
  }
  // What crashes leave: a record whose file is gone, a file cut short by a
  // machine crash, a file renamed into place whose record was never
  // written, an upload's temp file, and a stray name.
  ASSERT_EQ(unlink(PathOf(Digest::Of(lost)).c_str()), 0);
  ASSERT_TRUE(WriteFile(PathOf(Digest::Of(torn)), torn.substr(0, 100)).ok());
  Digest orphan_digest = Digest::Of(orphan);
  ASSERT_TRUE(MakeDirs(DirName(PathOf(orphan_digest))).ok());
  ASSERT_TRUE(WriteFile(PathOf(orphan_digest), orphan).ok());
  ASSERT_TRUE(WriteFile(files_ + "/tmp/12345", "half an upload").ok());
  ASSERT_TRUE(MakeDirs(files_ + "/ab").ok());
  ASSERT_TRUE(WriteFile(files_ + "/ab/not-a-digest", "junk").ok());

  std::unique_ptr<RocksDbCache> cache = Open();
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(kept)), kept);
  for (const std::string* gone : {&lost, &torn, &orphan}) {
    EXPECT_EQ(cache->blobs()->Stat(Digest::Of(*gone)).status().code(),
              absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(cache->Stats()->blob_count, 1u);
  EXPECT_EQ(cache->Stats()->blob_bytes, 20'000u);
  EXPECT_THAT(BlobFiles(), ElementsAre(Digest::Of(kept).hex()));
  EXPECT_THAT(TempFiles(), IsEmpty());
  // The dropped blobs can be stored again.
  ASSERT_TRUE(PutBlob(*cache->blobs(), lost).ok());
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(lost)), lost);
}

TEST_F(RocksDbBlobFilesTest, FileRemovedBehindTheStoresBackIsDataLoss) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string data = TestBytes(20'000, 9);
  Digest digest = Digest::Of(data);
  ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  ASSERT_EQ(unlink(PathOf(digest).c_str()), 0);
  absl::StatusOr<std::string> read = GetBlob(*cache->blobs(), digest);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr(digest.ToString()));
  EXPECT_EQ(cache->blobs()->Stat(digest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cache->Stats()->corrupt_blobs, 1u);
}

TEST_F(RocksDbBlobFilesTest, EvictionRemovesTheFile) {
  options_.max_bytes = 50'000;
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string first = TestBytes(20'000, 10);
  ASSERT_TRUE(PutBlob(*cache->blobs(), first).ok());
  ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(20'000, 11)).ok());
  ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(20'000, 12)).ok());
  EXPECT_FALSE(cache->blobs()->Contains(Digest::Of(first)));
  EXPECT_FALSE(PathExists(PathOf(Digest::Of(first))));
  EXPECT_THAT(BlobFiles(), ::testing::SizeIs(2));
  EXPECT_EQ(cache->Stats()->evicted_bytes, 20'000u);
}

TEST_F(RocksDbBlobFilesTest, PruneGivesTheSpaceBack) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string keep = TestBytes(20'000, 13);
  ASSERT_TRUE(PutBlob(*cache->blobs(), keep).ok());
  for (uint32_t seed = 14; seed < 18; ++seed) {
    ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(20'000, seed)).ok());
  }
  PruneOptions prune;
  prune.target_bytes = 0;
  prune.keep = {Digest::Of(keep)};
  absl::StatusOr<PruneResult> result = cache->Prune(prune);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->blobs_removed, 4u);
  EXPECT_EQ(result->bytes_removed, 80'000u);
  EXPECT_THAT(BlobFiles(), ElementsAre(Digest::Of(keep).hex()));
}

TEST_F(RocksDbBlobFilesTest, ReaderSurvivesDelete) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string data = TestBytes(100'000, 18);
  Digest digest = Digest::Of(data);
  ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader =
      cache->blobs()->Get(digest);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string got(1000, '\0');
  ASSERT_EQ(*(*reader)->Read(got.data(), got.size()), 1000u);
  ASSERT_TRUE(cache->blobs()->Delete(digest).ok());
  EXPECT_FALSE(PathExists(PathOf(digest)));
  absl::StatusOr<std::string> rest = ReadAll(**reader);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(got + *rest, data);
}

TEST_F(RocksDbBlobFilesTest, BlobsStayReadableWhenTheThresholdChanges) {
  std::string chunked = TestBytes(20'000, 19);
  std::string filed = TestBytes(20'000, 20);
  options_.file_threshold = 0;  // as a database written before blob files
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_TRUE(PutBlob(*cache->blobs(), chunked).ok());
  }
  options_.file_threshold = 8192;
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(chunked)), chunked);
    ASSERT_TRUE(PutBlob(*cache->blobs(), filed).ok());
  }
  EXPECT_THAT(BlobFiles(), ElementsAre(Digest::Of(filed).hex()));
  options_.file_threshold = 0;
  std::unique_ptr<RocksDbCache> cache = Open();
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(chunked)), chunked);
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(filed)), filed);
}

}  // namespace
}  // namespace farm::cache
