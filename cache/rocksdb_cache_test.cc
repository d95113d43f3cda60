#include "cache/rocksdb_cache.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cache/rocksdb_format.h"
#include "cache/testing/cache_conformance.h"
#include "cache/testing/rocksdb_cache_under_test.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "rocksdb/db.h"

namespace farm::cache {
namespace {

using testing::CacheConformanceTest;
using testing::CacheImpl;
using testing::CacheTestOptions;
using testing::CacheUnderTest;
using ::testing::HasSubstr;
using testing::TestBytes;

CacheImpl RocksDbImpl(
    std::string name, ChunkStorage storage,
    uint64_t file_threshold = RocksDbCache::kDefaultFileThreshold,
    bool index_at_open = true) {
  return {name,
          [storage, file_threshold, index_at_open](
              const CacheTestOptions& options)
              -> absl::StatusOr<std::unique_ptr<CacheUnderTest>> {
            return testing::RocksDbCacheUnderTest::Make(
                options, storage, file_threshold, index_at_open);
          },
          /*persistent=*/true};
}

// The default threshold (8 MiB) keeps every conformance blob in chunks;
// 4 KiB (one test chunk) puts every multi-chunk blob in a plain file. The
// lazy ones read before their index is loaded after every reopen.
INSTANTIATE_TEST_SUITE_P(
    RocksDb, CacheConformanceTest,
    ::testing::Values(RocksDbImpl("BlobFiles", ChunkStorage::kBlobFiles),
                      RocksDbImpl("Inline", ChunkStorage::kInline),
                      RocksDbImpl("PlainFiles", ChunkStorage::kBlobFiles,
                                  /*file_threshold=*/4096),
                      RocksDbImpl("LazyIndex", ChunkStorage::kBlobFiles,
                                  RocksDbCache::kDefaultFileThreshold,
                                  /*index_at_open=*/false),
                      RocksDbImpl("LazyIndexPlainFiles",
                                  ChunkStorage::kBlobFiles,
                                  /*file_threshold=*/4096,
                                  /*index_at_open=*/false)),
    testing::CacheImplName);

class RocksDbCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("rocksdb_cache_test");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    options_.root = dir_ + "/db";
    options_.chunk_size = 4096;
    options_.min_blob_size = 1024;
    options_.clock = &clock_;
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  std::unique_ptr<RocksDbCache> Open() {
    absl::StatusOr<std::unique_ptr<RocksDbCache>> cache =
        RocksDbCache::Open(options_);
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? std::move(*cache) : nullptr;
  }

  // Names of the files in the database directory with `suffix`.
  std::vector<std::string> FilesEndingWith(absl::string_view suffix) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<std::string>> names = ListDir(options_.root);
    EXPECT_TRUE(names.ok()) << names.status();
    if (!names.ok()) return out;
    for (const std::string& name : *names) {
      if (absl::EndsWith(name, suffix)) {
        out.push_back(options_.root + "/" + name);
      }
    }
    return out;
  }

  SimulatedClock clock_{absl::FromUnixSeconds(1700000000)};
  std::string dir_;
  RocksDbCache::Options options_;
};

// A session that stored many small blobs (a context's files) closes with
// its memtables flushed, so the next open has no big log to replay.
TEST_F(RocksDbCacheTest, ClosingAfterStoringMuchLeavesNoBigLog) {
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_NE(cache, nullptr);
    std::mt19937 rng(3);
    // Blobs of less than a chunk go to RocksDB in one logged batch each.
    for (int i = 0; i < 4000; ++i) {
      std::string data(3000, '\0');
      for (char& c : data) c = static_cast<char>(rng());
      ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
    }
  }
  uint64_t log_bytes = 0;
  for (const std::string& log : FilesEndingWith(".log")) {
    struct stat st;
    ASSERT_EQ(stat(log.c_str(), &st), 0);
    log_bytes += st.st_size;
  }
  EXPECT_LT(log_bytes, 1u << 20) << "12 MB stored";
  std::unique_ptr<RocksDbCache> again = Open();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Stats()->blob_count, 4000u);
}

TEST_F(RocksDbCacheTest, SecondOpenOfTheSameRootIsUnavailable) {
  std::unique_ptr<RocksDbCache> first = Open();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<RocksDbCache>> second =
      RocksDbCache::Open(options_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(options_.root));
}

TEST_F(RocksDbCacheTest, ByteFlippedOnDiskInABlobFileIsDataLoss) {
  std::unique_ptr<RocksDbCache> cache = Open();
  std::string data = TestBytes(20'000, 42);
  Digest digest = Digest::Of(data);
  ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  ASSERT_TRUE(cache->FlushForTesting().ok());
  cache.reset();

  // Find the chunk bytes in a blob file and flip one of them.
  std::string needle = data.substr(5000, 64);
  bool flipped = false;
  for (const std::string& path : FilesEndingWith(".blob")) {
    std::string contents = *ReadFile(path);
    size_t at = contents.find(needle);
    if (at == std::string::npos) continue;
    contents[at] = static_cast<char>(~contents[at]);
    ASSERT_TRUE(WriteFile(path, contents).ok());
    flipped = true;
  }
  ASSERT_TRUE(flipped) << "chunk not found in any blob file";

  cache = Open();
  absl::StatusOr<std::string> read = GetBlob(*cache->blobs(), digest);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr(digest.ToString()));
  EXPECT_EQ(cache->blobs()->Stat(digest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cache->Stats()->corrupt_blobs, 1u);
  // Repaired by uploading again.
  ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  EXPECT_EQ(*GetBlob(*cache->blobs(), digest), data);
}

// The cache's database opened directly, to do what a crash would.
class RawDb {
 public:
  enum { kBlobs = 1, kChunks = 2, kUploads = 3 };
  explicit RawDb(const std::string& root) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name :
         {rocksdb::kDefaultColumnFamilyName,
          std::string(rocksdb_format::kBlobsFamily),
          std::string(rocksdb_format::kChunksFamily),
          std::string(rocksdb_format::kUploadsFamily),
          std::string(rocksdb_format::kActionsFamily)}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    status_ =
        rocksdb::DB::Open(rocksdb::DBOptions(), root, families, &handles_, &db);
    db_.reset(db);
  }
  ~RawDb() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  }
  const rocksdb::Status& status() const { return status_; }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(int i) { return handles_[i]; }

 private:
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

TEST_F(RocksDbCacheTest, UploadCutShortByACrashIsCleanedAtOpen) {
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(10'000, 1)).ok());
  }
  {
    // A crash mid-upload leaves an upload record and chunks, but no blob.
    RawDb raw(options_.root);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    ASSERT_TRUE(raw.db()
                    ->Put({}, raw.family(RawDb::kUploads),
                          rocksdb_format::UploadKey(777), "")
                    .ok());
    for (uint32_t i = 0; i < 2; ++i) {
      ASSERT_TRUE(raw.db()
                      ->Put({}, raw.family(RawDb::kChunks),
                            rocksdb_format::ChunkKey(777, i),
                            std::string(4096, 'x'))
                      .ok());
    }
  }
  std::unique_ptr<RocksDbCache> cache = Open();
  EXPECT_EQ(cache->Stats()->blob_count, 1u);
  cache.reset();

  RawDb raw(options_.root);
  ASSERT_TRUE(raw.status().ok());
  std::string value;
  EXPECT_TRUE(raw.db()
                  ->Get({}, raw.family(RawDb::kChunks),
                        rocksdb_format::ChunkKey(777, 0), &value)
                  .IsNotFound());
  EXPECT_TRUE(raw.db()
                  ->Get({}, raw.family(RawDb::kUploads),
                        rocksdb_format::UploadKey(777), &value)
                  .IsNotFound());
}

TEST_F(RocksDbCacheTest, ChunkLostInACrashIsDataLossThenMissing) {
  std::string data = TestBytes(20'000, 7);  // five 4 KiB chunks
  Digest digest = Digest::Of(data);
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  }
  {
    // Chunks skip the WAL, so a crash can lose one while the record stays.
    RawDb raw(options_.root);
    ASSERT_TRUE(raw.status().ok());
    std::string record;
    ASSERT_TRUE(raw.db()
                    ->Get({}, raw.family(RawDb::kBlobs),
                          rocksdb_format::DigestKey(digest), &record)
                    .ok());
    absl::StatusOr<rocksdb_format::BlobRecord> decoded =
        rocksdb_format::DecodeBlobRecord(record);
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(raw.db()
                    ->Delete({}, raw.family(RawDb::kChunks),
                             rocksdb_format::ChunkKey(decoded->upload_id, 2))
                    .ok());
  }
  std::unique_ptr<RocksDbCache> cache = Open();
  absl::StatusOr<std::string> read = GetBlob(*cache->blobs(), digest);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr("chunk 2 of upload"));
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr(digest.ToString()));
  EXPECT_EQ(cache->blobs()->Stat(digest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cache->Stats()->corrupt_blobs, 1u);
}

TEST_F(RocksDbCacheTest, CommittedBlobsSurviveAProcessThatDies) {
  // Another process stores a five-chunk blob and exits without closing the
  // database, as a killed scheduler would.
  const char* helper = getenv("PUT_AND_DIE");
  ASSERT_NE(helper, nullptr);
  std::string command = absl::StrCat(helper, " ", options_.root, " 20000 9");
  ASSERT_EQ(system(command.c_str()), 0);
  std::mt19937_64 rng(9);
  std::string data(20000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  std::unique_ptr<RocksDbCache> cache = Open();
  absl::StatusOr<std::string> read = GetBlob(*cache->blobs(), Digest::Of(data));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data);
}

// Uploads that begin before a lazy index loads take ids past every stored
// chunk's, so their chunks never overwrite another blob's.
TEST_F(RocksDbCacheTest, UploadsBeforeALazyIndexLoadsKeepStoredChunks) {
  options_.index_blobs_at_open = false;
  std::string three_chunks = TestBytes(3 * 4096 + 10, 1);
  std::string one_chunk = TestBytes(100, 2);
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_TRUE(PutBlob(*cache->blobs(), three_chunks).ok());
    ASSERT_TRUE(PutBlob(*cache->blobs(), one_chunk).ok());
  }
  std::unique_ptr<RocksDbCache> cache = Open();
  // Existing blobs answer before the index loads; storing one again keeps
  // it without a load.
  EXPECT_EQ(*GetBlob(*cache->blobs(), Digest::Of(one_chunk)), one_chunk);
  ASSERT_TRUE(PutBlob(*cache->blobs(), one_chunk).ok());
  // Two uploads in flight at once, both started before the load.
  std::string new_a = TestBytes(2 * 4096 + 5, 3);
  std::string new_b = TestBytes(4096 + 7, 4);
  auto writer_a = cache->blobs()->Put(Digest::Of(new_a));
  auto writer_b = cache->blobs()->Put(Digest::Of(new_b));
  ASSERT_TRUE(writer_a.ok() && writer_b.ok());
  ASSERT_TRUE((*writer_a)->Write(new_a).ok());
  ASSERT_TRUE((*writer_b)->Write(new_b).ok());
  ASSERT_TRUE((*writer_a)->Commit().ok());
  ASSERT_TRUE((*writer_b)->Commit().ok());
  for (const std::string* data : {&three_chunks, &one_chunk, &new_a, &new_b}) {
    absl::StatusOr<std::string> read =
        GetBlob(*cache->blobs(), Digest::Of(*data));
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, *data);
  }
  EXPECT_EQ(cache->Stats()->blob_count, 4u);
}

TEST_F(RocksDbCacheTest, ReadsWriteAccessTimesOnlyPastTheGranularity) {
  options_.atime_granularity = absl::Hours(1);
  options_.max_bytes = 20'000;
  std::string a = TestBytes(10'000, 1), b = TestBytes(10'000, 2);
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_TRUE(PutBlob(*cache->blobs(), a).ok());
    clock_.Advance(absl::Minutes(10));
    ASSERT_TRUE(PutBlob(*cache->blobs(), b).ok());
    clock_.Advance(absl::Minutes(10));
    // Within the granularity of its stored time: a's use is not persisted,
    // although in memory a is now the most recent.
    ASSERT_TRUE(GetBlob(*cache->blobs(), Digest::Of(a)).ok());
  }
  {
    // After a restart the stored times rule: a is older than b.
    std::unique_ptr<RocksDbCache> cache = Open();
    clock_.Advance(absl::Hours(2));
    ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(5'000, 3)).ok());
    clock_.Advance(absl::Minutes(10));
    EXPECT_FALSE(cache->blobs()->Contains(Digest::Of(a)));
    EXPECT_TRUE(cache->blobs()->Contains(Digest::Of(b)));
    // Past the granularity, a use is persisted.
    ASSERT_TRUE(GetBlob(*cache->blobs(), Digest::Of(b)).ok());
  }
  std::unique_ptr<RocksDbCache> cache = Open();
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(10'000, 4)).ok());
  // The 5,000-byte blob is now the oldest by stored time; b survives.
  EXPECT_FALSE(cache->blobs()->Contains(Digest::Of(TestBytes(5'000, 3))));
  EXPECT_TRUE(cache->blobs()->Contains(Digest::Of(b)));
}

TEST_F(RocksDbCacheTest, FormatRoundTripsAndRejectsGarbage) {
  rocksdb_format::BlobRecord record;
  record.upload_id = 0x0102030405060708;
  record.size = 123456789;
  record.chunk_size = 1 << 20;
  record.last_access_unix_seconds = 1700000000;
  absl::StatusOr<rocksdb_format::BlobRecord> back =
      rocksdb_format::DecodeBlobRecord(
          rocksdb_format::EncodeBlobRecord(record));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->upload_id, record.upload_id);
  EXPECT_EQ(back->size, record.size);
  EXPECT_EQ(back->chunk_size, record.chunk_size);
  EXPECT_EQ(back->last_access_unix_seconds, record.last_access_unix_seconds);
  EXPECT_EQ(back->chunk_count(), 118u);
  EXPECT_EQ(back->ChunkLength(117), 123456789u - 117u * (1 << 20));
  EXPECT_EQ(rocksdb_format::DecodeBlobRecord("short").status().code(),
            absl::StatusCode::kDataLoss);
  // Chunked blobs keep the 29-byte version 1 record that databases written
  // before blob files hold; a blob in a file has version 2 and a flag.
  EXPECT_EQ(rocksdb_format::EncodeBlobRecord(record).size(), 29u);
  EXPECT_EQ(rocksdb_format::EncodeBlobRecord(record)[0], 1);
  EXPECT_FALSE(back->in_file);
  rocksdb_format::BlobRecord in_file;
  in_file.upload_id = 5;
  in_file.size = 300 << 20;
  in_file.last_access_unix_seconds = 1700000000;
  in_file.in_file = true;
  std::string encoded = rocksdb_format::EncodeBlobRecord(in_file);
  EXPECT_EQ(encoded.size(), 30u);
  EXPECT_EQ(encoded[0], 2);
  back = rocksdb_format::DecodeBlobRecord(encoded);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->in_file);
  EXPECT_EQ(back->size, in_file.size);
  EXPECT_EQ(back->chunk_count(), 0u);
  encoded.back() = 0x7f;  // unknown flags
  EXPECT_EQ(rocksdb_format::DecodeBlobRecord(encoded).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_LT(rocksdb_format::ChunkKey(1, 0xffffffff),
            rocksdb_format::ChunkKey(2, 0));
  EXPECT_EQ(*rocksdb_format::ParseUploadKey(rocksdb_format::UploadKey(99)),
            99u);
  Digest d = Digest::Of("x");
  EXPECT_EQ(*rocksdb_format::ParseDigestKey(rocksdb_format::DigestKey(d)), d);
}

TEST_F(RocksDbCacheTest, BudgetEvictionSkipsPinnedBlobs) {
  options_.max_bytes = 25'000;
  std::unique_ptr<RocksDbCache> cache = Open();
  ASSERT_NE(cache, nullptr);
  std::string pinned = TestBytes(10'000, 1);
  std::string other = TestBytes(10'000, 2);
  ASSERT_TRUE(PutBlob(*cache->blobs(), pinned).ok());
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(PutBlob(*cache->blobs(), other).ok());
  cache->blobs()->SetPinned({Digest::Of(pinned)});
  clock_.Advance(absl::Hours(2));
  // The third blob needs room: the oldest unpinned one goes, not the
  // older pinned one.
  ASSERT_TRUE(PutBlob(*cache->blobs(), TestBytes(10'000, 3)).ok());
  EXPECT_TRUE(cache->blobs()->Stat(Digest::Of(pinned)).ok());
  EXPECT_EQ(cache->blobs()->Stat(Digest::Of(other)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RocksDbCacheTest, OpensWithoutWritesDoNotPileUpLogs) {
  std::string data = TestBytes(5'000, 7);
  {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_NE(cache, nullptr);
    ASSERT_TRUE(PutBlob(*cache->blobs(), data).ok());
  }
  // Read-only sessions, as cached builds and `farm images` are.
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<RocksDbCache> cache = Open();
    ASSERT_NE(cache, nullptr);
    absl::StatusOr<std::string> read =
        GetBlob(*cache->blobs(), Digest::Of(data));
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, data);
  }
  // RocksDB alone would keep 21 write-ahead logs and 20 old info logs.
  EXPECT_LE(FilesEndingWith(".log").size(), 5u);
  absl::StatusOr<std::vector<std::string>> names = ListDir(options_.root);
  ASSERT_TRUE(names.ok()) << names.status();
  int info_logs = 0;
  for (const std::string& name : *names) {
    info_logs += absl::StartsWith(name, "LOG") ? 1 : 0;
  }
  EXPECT_LE(info_logs, 5);
}

}  // namespace
}  // namespace farm::cache
