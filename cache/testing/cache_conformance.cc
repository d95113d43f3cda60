#include "cache/testing/cache_conformance.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/blob_checking_action_cache.h"
#include "common/fs.h"
#include "gmock/gmock.h"

namespace farm::cache::testing {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

proto::ActionResult ResultWithLayer(const Digest& layer, int64_t size) {
  proto::ActionResult result;
  result.mutable_layer()->set_digest(layer.ToString());
  result.mutable_layer()->set_diff_id(Digest::Of("diff").ToString());
  result.mutable_layer()->set_size(size);
  result.mutable_layer()->set_media_type(
      "application/vnd.oci.image.layer.v1.tar+gzip");
  result.set_config(R"({"architecture":"amd64","os":"linux"})");
  result.mutable_created()->set_seconds(1700000000);
  result.set_created_by("RUN make");
  return result;
}

void CacheConformanceTest::Make(uint64_t max_bytes) {
  CacheTestOptions options;
  options.max_bytes = max_bytes;
  options.clock = &clock_;
  absl::StatusOr<std::unique_ptr<CacheUnderTest>> made =
      GetParam().make(options);
  ASSERT_TRUE(made.ok()) << made.status();
  cache_ = std::move(*made);
}

namespace {

// Large enough to span several chunks and to go over a remote store's
// batch limit; small enough to be quick.
constexpr size_t kLarge = 50'000;

TEST_P(CacheConformanceTest, PutThenGetRoundTripsSmallLargeAndEmpty) {
  Make();
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{4096},
                      size_t{8192}, kLarge}) {
    std::string data = TestBytes(size, size);
    ASSERT_TRUE(PutBlob(blobs(), data).ok()) << size;
    absl::StatusOr<std::string> back = GetBlob(blobs(), Digest::Of(data));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, data) << size;
    absl::StatusOr<BlobInfo> info = blobs().Stat(Digest::Of(data));
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->size, size);
    EXPECT_EQ(info->digest, Digest::Of(data));
  }
}

TEST_P(CacheConformanceTest, PutFileStoresTheFilesBytes) {
  Make();
  absl::StatusOr<std::string> dir = MakeTempDir("put_file");
  ASSERT_TRUE(dir.ok()) << dir.status();
  for (size_t size : {size_t{0}, size_t{100}, kLarge, 4 * kLarge}) {
    std::string data = TestBytes(size, size + 1);
    const std::string path = absl::StrCat(*dir, "/blob-", size);
    ASSERT_TRUE(WriteFile(path, data).ok());
    ASSERT_TRUE(blobs().PutFile(Digest::Of(data), path).ok()) << size;
    absl::StatusOr<std::string> back = GetBlob(blobs(), Digest::Of(data));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, data) << size;
  }
  EXPECT_EQ(blobs().PutFile(Digest::Of("x"), *dir + "/missing").code(),
            absl::StatusCode::kNotFound);
  RemoveAll(*dir).IgnoreError();
}

TEST_P(CacheConformanceTest, GetSmallReadsManyInOrderWithTheirErrors) {
  Make();
  std::vector<std::string> stored;
  std::vector<Digest> asked;
  for (size_t size : {size_t{0}, size_t{10}, size_t{4096}, kLarge}) {
    stored.push_back(TestBytes(size, size + 7));
    ASSERT_TRUE(PutBlob(blobs(), stored.back()).ok());
    asked.push_back(Digest::Of(stored.back()));
  }
  // Larger than a remote store's batch budget: read another way.
  stored.push_back(TestBytes(3 << 20, 99));
  ASSERT_TRUE(PutBlob(blobs(), stored.back()).ok());
  asked.push_back(Digest::Of(stored.back()));
  asked.insert(asked.begin() + 2, Digest::Of("never stored"));
  std::vector<absl::StatusOr<std::string>> got = blobs().GetSmall(asked);
  ASSERT_EQ(got.size(), asked.size());
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kNotFound);
  got.erase(got.begin() + 2);
  for (size_t i = 0; i < stored.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    EXPECT_EQ(*got[i], stored[i]) << i;
  }
  EXPECT_TRUE(blobs().GetSmall({}).empty());
}

TEST_P(CacheConformanceTest, StreamedPutInOddPiecesAndSmallReads) {
  Make();
  std::string data = TestBytes(kLarge, 7);
  Digest digest = Digest::Of(data);
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer = blobs().Put(digest);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (size_t at = 0; at < data.size(); at += 777) {
    ASSERT_TRUE((*writer)->Write(absl::string_view(data).substr(at, 777)).ok());
  }
  ASSERT_TRUE((*writer)->Commit().ok());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs().Get(digest);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string back;
  char buf[333];
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->Read(buf, sizeof(buf));
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    back.append(buf, *n);
  }
  EXPECT_EQ(back, data);
}

TEST_P(CacheConformanceTest, MissingBlobIsNotFound) {
  Make();
  Digest digest = Digest::Of("never stored");
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs().Get(digest);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(reader.status().message()),
              HasSubstr(digest.ToString()));
  EXPECT_EQ(blobs().Stat(digest).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(CacheConformanceTest, FindMissingReportsAbsentOnceInOrder) {
  Make();
  ASSERT_TRUE(PutBlob(blobs(), "a").ok());
  ASSERT_TRUE(PutBlob(blobs(), "c").ok());
  Digest a = Digest::Of("a"), b = Digest::Of("b"), c = Digest::Of("c"),
         d = Digest::Of("d");
  absl::StatusOr<std::vector<Digest>> missing =
      blobs().FindMissing({d, a, b, c, d, b});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_THAT(*missing, ElementsAre(d, b));
  missing = blobs().FindMissing({});
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, IsEmpty());
}

TEST_P(CacheConformanceTest, FindMissingHandlesLargeBatches) {
  Make();
  std::vector<Digest> digests;
  const int count = GetParam().large_batch;
  ASSERT_EQ(count % 3, 0);
  for (int i = 0; i < count; ++i) {
    std::string data = absl::StrCat("blob ", i);
    if (i % 3 == 0) {
      ASSERT_TRUE(PutBlob(blobs(), data).ok());
    }
    digests.push_back(Digest::Of(data));
  }
  absl::StatusOr<std::vector<Digest>> missing = blobs().FindMissing(digests);
  ASSERT_TRUE(missing.ok()) << missing.status();
  ASSERT_EQ(missing->size(), static_cast<size_t>(count / 3 * 2));
  EXPECT_EQ(missing->front(), digests[1]);
  EXPECT_EQ(missing->back(), digests.back());
}

TEST_P(CacheConformanceTest, DeleteRemovesAndIsIdempotent) {
  Make();
  std::string data = TestBytes(kLarge, 1);
  ASSERT_TRUE(PutBlob(blobs(), data).ok());
  ASSERT_TRUE(blobs().Delete(Digest::Of(data)).ok());
  EXPECT_EQ(blobs().Get(Digest::Of(data)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(blobs().Delete(Digest::Of(data)).ok());
  EXPECT_TRUE(blobs().Delete(Digest::Of("never stored")).ok());
}

TEST_P(CacheConformanceTest, WrongDigestIsRejectedAndNothingIsVisible) {
  Make();
  for (size_t size : {size_t{10}, kLarge}) {
    std::string data = TestBytes(size, 2);
    Digest claimed = Digest::Of("something else entirely");
    absl::StatusOr<std::unique_ptr<BlobWriter>> writer = blobs().Put(claimed);
    ASSERT_TRUE(writer.ok());
    // A remote store may report the mismatch on Write once it has streamed.
    absl::Status status = (*writer)->Write(data);
    if (status.ok()) status = (*writer)->Commit();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(claimed.ToString()));
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(Digest::Of(data).ToString()));
    writer->reset();
    absl::StatusOr<std::vector<Digest>> missing =
        blobs().FindMissing({claimed, Digest::Of(data)});
    ASSERT_TRUE(missing.ok());
    EXPECT_THAT(*missing, ElementsAre(claimed, Digest::Of(data)));
  }
  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blob_count, 0u);
  EXPECT_EQ(stats->blob_bytes, 0u);
}

TEST_P(CacheConformanceTest, UncommittedWriterLeavesNothingVisible) {
  Make();
  for (size_t size : {size_t{10}, kLarge}) {
    std::string data = TestBytes(size, 3);
    Digest digest = Digest::Of(data);
    {
      absl::StatusOr<std::unique_ptr<BlobWriter>> writer = blobs().Put(digest);
      ASSERT_TRUE(writer.ok());
      ASSERT_TRUE((*writer)->Write(data).ok());  // everything but Commit
      EXPECT_EQ(blobs().Stat(digest).status().code(),
                absl::StatusCode::kNotFound);
    }
    EXPECT_EQ(blobs().Get(digest).status().code(), absl::StatusCode::kNotFound);
    absl::StatusOr<std::vector<Digest>> missing = blobs().FindMissing({digest});
    ASSERT_TRUE(missing.ok());
    EXPECT_THAT(*missing, ElementsAre(digest));
  }
}

TEST_P(CacheConformanceTest, WriteAfterCommitFails) {
  Make();
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
      blobs().Put(Digest::Of("x"));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("x").ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ((*writer)->Write("y").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Commit().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(CacheConformanceTest, StoringTwiceKeepsOneCopy) {
  Make();
  std::string data = TestBytes(kLarge, 4);
  ASSERT_TRUE(PutBlob(blobs(), data).ok());
  ASSERT_TRUE(PutBlob(blobs(), data).ok());
  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blob_count, 1u);
  EXPECT_EQ(stats->blob_bytes, kLarge);
  EXPECT_EQ(*GetBlob(blobs(), Digest::Of(data)), data);
}

TEST_P(CacheConformanceTest, CorruptBlobIsDataLossThenMissingThenRepaired) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  Make();
  for (size_t size : {size_t{100}, kLarge}) {
    std::string data = TestBytes(size, 5);
    Digest digest = Digest::Of(data);
    ASSERT_TRUE(PutBlob(blobs(), data).ok());
    ASSERT_TRUE(cache_->Corrupt(digest, size / 2).ok());

    absl::StatusOr<std::string> read = GetBlob(blobs(), digest);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(read.status().message()),
                HasSubstr(digest.ToString()));
    EXPECT_THAT(std::string(read.status().message()), HasSubstr("corrupt"));

    // Reported as missing from then on, so the build re-creates it.
    EXPECT_EQ(blobs().Stat(digest).status().code(),
              absl::StatusCode::kNotFound);
    absl::StatusOr<std::vector<Digest>> missing = blobs().FindMissing({digest});
    ASSERT_TRUE(missing.ok());
    EXPECT_THAT(*missing, ElementsAre(digest));

    ASSERT_TRUE(PutBlob(blobs(), data).ok());
    EXPECT_EQ(*GetBlob(blobs(), digest), data);
  }
  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->corrupt_blobs, 2u);
}

TEST_P(CacheConformanceTest, ActionHitWithCorruptLayerIsAMiss) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  Make();
  std::string layer = TestBytes(kLarge, 6);
  Digest layer_digest = Digest::Of(layer);
  ASSERT_TRUE(PutBlob(blobs(), layer).ok());
  Digest key = Digest::Of("key");
  ASSERT_TRUE(
      actions().Update(key, ResultWithLayer(layer_digest, kLarge)).ok());
  ASSERT_TRUE(cache_->Corrupt(layer_digest, 10).ok());

  BlobCheckingActionCache checked(&actions(), &blobs(), {true});
  absl::StatusOr<proto::ActionResult> result = checked.Get(key);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr(layer_digest.ToString()));
  // The corrupt blob is gone; the build re-runs the step and repairs both.
  EXPECT_EQ(blobs().Stat(layer_digest).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(PutBlob(blobs(), layer).ok());
  ASSERT_TRUE(checked.Update(key, ResultWithLayer(layer_digest, kLarge)).ok());
  EXPECT_TRUE(checked.Get(key).ok());
}

TEST_P(CacheConformanceTest, ReaderSurvivesDeleteDuringRead) {
  Make();
  std::string data = TestBytes(kLarge, 8);
  Digest digest = Digest::Of(data);
  ASSERT_TRUE(PutBlob(blobs(), data).ok());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs().Get(digest);
  ASSERT_TRUE(reader.ok());
  char buf[1000];
  absl::StatusOr<size_t> first = (*reader)->Read(buf, sizeof(buf));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(blobs().Delete(digest).ok());
  absl::StatusOr<std::string> rest = ReadAll(**reader);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(std::string(buf, *first) + *rest, data);
}

TEST_P(CacheConformanceTest, ConcurrentPutsAndGets) {
  Make();
  std::vector<std::thread> threads;
  std::vector<absl::Status> errors(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t, &errors] {
      for (int i = 0; i < 20; ++i) {
        // Half the blobs are shared between threads.
        std::string data =
            TestBytes(i % 2 == 0 ? 9000 : 300, i % 2 == 0 ? i : 1000 * t + i);
        absl::Status s = PutBlob(blobs(), data);
        absl::StatusOr<std::string> back = GetBlob(blobs(), Digest::Of(data));
        if (!s.ok()) errors[t] = s;
        if (!back.ok()) {
          errors[t] = back.status();
        } else if (*back != data) {
          errors[t] = absl::InternalError("wrong bytes");
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& s : errors) EXPECT_TRUE(s.ok()) << s;
  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blob_count, 10u + 4 * 10u);
}

TEST_P(CacheConformanceTest, EvictionKeepsBudgetAndEvictsLeastRecentlyUsed) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  Make(/*max_bytes=*/30'000);
  std::vector<std::string> data;
  for (uint32_t i = 0; i < 4; ++i) data.push_back(TestBytes(10'000, 100 + i));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(PutBlob(blobs(), data[i]).ok());
  }
  clock_.Advance(absl::Hours(2));
  // Use blob 0, so blob 1 is now the least recently used.
  ASSERT_TRUE(GetBlob(blobs(), Digest::Of(data[0])).ok());
  ASSERT_TRUE(PutBlob(blobs(), data[3]).ok());

  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_LE(stats->blob_bytes, 30'000u);
  EXPECT_EQ(stats->blob_count, 3u);
  EXPECT_EQ(stats->evictions, 1u);
  EXPECT_EQ(stats->evicted_bytes, 10'000u);
  EXPECT_EQ(stats->max_bytes, 30'000u);
  EXPECT_EQ(blobs().Stat(Digest::Of(data[1])).status().code(),
            absl::StatusCode::kNotFound);
  for (int i : {0, 2, 3}) {
    EXPECT_EQ(*GetBlob(blobs(), Digest::Of(data[i])), data[i]) << i;
  }
}

TEST_P(CacheConformanceTest, BlobLargerThanBudgetIsResourceExhausted) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  Make(/*max_bytes=*/20'000);
  std::string small = TestBytes(5'000, 1);
  ASSERT_TRUE(PutBlob(blobs(), small).ok());
  std::string big = TestBytes(kLarge, 2);
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
      blobs().Put(Digest::Of(big));
  ASSERT_TRUE(writer.ok());
  absl::Status status = (*writer)->Write(big);
  if (status.ok()) status = (*writer)->Commit();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("budget"));
  writer->reset();
  EXPECT_EQ(blobs().Stat(Digest::Of(big)).status().code(),
            absl::StatusCode::kNotFound);
  // The budget did not throw out what was there.
  EXPECT_TRUE(blobs().Stat(Digest::Of(small)).ok());
}

TEST_P(CacheConformanceTest, StatsCountHitsAndMisses) {
  Make();
  ASSERT_TRUE(PutBlob(blobs(), "hello").ok());
  ASSERT_TRUE(GetBlob(blobs(), Digest::Of("hello")).ok());
  ASSERT_TRUE(GetBlob(blobs(), Digest::Of("hello")).ok());
  EXPECT_FALSE(blobs().Get(Digest::Of("nope")).ok());
  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blob_count, 1u);
  EXPECT_EQ(stats->blob_bytes, 5u);
  EXPECT_EQ(stats->blob_hits, 2u);
  EXPECT_EQ(stats->blob_misses, 1u);
  EXPECT_EQ(stats->evictions, 0u);
  EXPECT_EQ(stats->corrupt_blobs, 0u);
}

TEST_P(CacheConformanceTest, StatsCountBytesInAndOut) {
  Make();
  ASSERT_TRUE(PutBlob(blobs(), "hello").ok());
  ASSERT_TRUE(PutBlob(blobs(), "hello").ok());  // sent again: counted again
  ASSERT_TRUE(PutBlob(blobs(), "hi").ok());
  // An upload that fails its digest brings nothing in.
  absl::StatusOr<std::unique_ptr<BlobWriter>> wrong =
      blobs().Put(Digest::Of("expected"));
  ASSERT_TRUE(wrong.ok());
  ASSERT_TRUE((*wrong)->Write("other").ok());
  EXPECT_FALSE((*wrong)->Commit().ok());
  ASSERT_TRUE(GetBlob(blobs(), Digest::Of("hello")).ok());
  ASSERT_TRUE(GetBlob(blobs(), Digest::Of("hello")).ok());
  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->bytes_written, 12u);
  EXPECT_EQ(stats->bytes_read, 10u);
}

TEST_P(CacheConformanceTest, PruneEvictsToTargetKeepsPinnedDropsDangling) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  Make();
  std::string a = TestBytes(1000, 11), b = TestBytes(1000, 12),
              c = TestBytes(1000, 13);
  for (const std::string* data : {&a, &b, &c}) {
    ASSERT_TRUE(PutBlob(blobs(), *data).ok());
  }
  ASSERT_TRUE(actions()
                  .Update(Digest::Of("x"), ResultWithLayer(Digest::Of(a), 1000))
                  .ok());
  ASSERT_TRUE(actions()
                  .Update(Digest::Of("z"), ResultWithLayer(Digest::Of(c), 1000))
                  .ok());
  proto::ActionResult no_layer;
  no_layer.set_empty_layer(true);
  ASSERT_TRUE(actions().Update(Digest::Of("y"), no_layer).ok());

  PruneOptions options;
  options.target_bytes = 0;
  options.keep = {Digest::Of(c)};
  absl::StatusOr<PruneResult> pruned = admin().Prune(options);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->blobs_removed, 2u);
  EXPECT_EQ(pruned->bytes_removed, 2000u);
  EXPECT_EQ(pruned->actions_removed, 1u);
  EXPECT_TRUE(blobs().Stat(Digest::Of(c)).ok());
  EXPECT_EQ(actions().Get(Digest::Of("x")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(actions().Get(Digest::Of("y")).ok());
  EXPECT_TRUE(actions().Get(Digest::Of("z")).ok());

  // A byte target evicts only as much as needed.
  ASSERT_TRUE(PutBlob(blobs(), a).ok());
  options.keep.clear();
  options.target_bytes = 1500;
  pruned = admin().Prune(options);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->blobs_removed, 1u);
  EXPECT_EQ(admin().Stats()->blob_bytes, 1000u);
}

TEST_P(CacheConformanceTest, ReopenKeepsBlobsActionsAndUseOrder) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  if (!GetParam().persistent) GTEST_SKIP() << "keeps nothing across opens";
  Make(/*max_bytes=*/30'000);
  std::vector<std::string> data;
  for (uint32_t i = 0; i < 4; ++i) data.push_back(TestBytes(10'000, 200 + i));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(PutBlob(blobs(), data[i]).ok());
    clock_.Advance(absl::Hours(2));
  }
  // Blob 0 used last: after reopening, blob 1 is the oldest.
  ASSERT_TRUE(GetBlob(blobs(), Digest::Of(data[0])).ok());
  proto::ActionResult result = ResultWithLayer(Digest::Of(data[0]), 10'000);
  ASSERT_TRUE(actions().Update(Digest::Of("k"), result).ok());

  ASSERT_TRUE(cache_->Reopen().ok());

  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blob_count, 3u);
  EXPECT_EQ(stats->blob_bytes, 30'000u);
  EXPECT_EQ(stats->action_entries, 1u);
  absl::StatusOr<proto::ActionResult> hit = actions().Get(Digest::Of("k"));
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_EQ(hit->SerializeAsString(), result.SerializeAsString());

  // Overflow the budget before reading anything, so the order is the stored
  // one: blob 1 goes.
  ASSERT_TRUE(PutBlob(blobs(), data[3]).ok());
  EXPECT_EQ(blobs().Stat(Digest::Of(data[1])).status().code(),
            absl::StatusCode::kNotFound);
  for (int i : {0, 2, 3}) {
    EXPECT_EQ(*GetBlob(blobs(), Digest::Of(data[i])), data[i]) << i;
  }
}

TEST_P(CacheConformanceTest, PinsOfEveryOwnerOutlastTheBudgetAndPrune) {
  if (!GetParam().forgets) GTEST_SKIP() << "the object store behind keeps it";
  Make(/*max_bytes=*/30'000);
  std::vector<std::string> data;
  for (uint32_t i = 0; i < 4; ++i) data.push_back(TestBytes(10'000, 300 + i));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(PutBlob(blobs(), data[i]).ok());
    clock_.Advance(absl::Hours(1));
  }
  ASSERT_TRUE(admin().SetPins("scheduler a", {Digest::Of(data[0])}).ok());
  ASSERT_TRUE(admin().SetPins("scheduler b", {Digest::Of(data[1])}).ok());
  // The budget evicts the least recently used blob that nobody pins.
  ASSERT_TRUE(PutBlob(blobs(), data[3]).ok());
  EXPECT_TRUE(blobs().Stat(Digest::Of(data[0])).ok());
  EXPECT_TRUE(blobs().Stat(Digest::Of(data[1])).ok());
  EXPECT_EQ(blobs().Stat(Digest::Of(data[2])).status().code(),
            absl::StatusCode::kNotFound);
  // Prune to nothing keeps them too.
  PruneOptions all;
  ASSERT_TRUE(admin().Prune(all).ok());
  EXPECT_TRUE(blobs().Stat(Digest::Of(data[0])).ok());
  EXPECT_EQ(blobs().Stat(Digest::Of(data[3])).status().code(),
            absl::StatusCode::kNotFound);
  // An owner that drops its pins lets its blobs go; the other's stay.
  ASSERT_TRUE(admin().SetPins("scheduler a", {}).ok());
  if (GetParam().persistent) ASSERT_TRUE(cache_->Reopen().ok());
  ASSERT_TRUE(admin().Prune(all).ok());
  EXPECT_EQ(blobs().Stat(Digest::Of(data[0])).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(blobs().Stat(Digest::Of(data[1])).ok());
}

}  // namespace
}  // namespace farm::cache::testing
