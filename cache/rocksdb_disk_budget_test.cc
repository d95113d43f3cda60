// The cache's disk follows its blob budget: once evicted, blobs give their
// space back (blob files are collected), so a cache that has taken in many
// times its budget holds on disk about its budget, not every byte it ever
// stored. Measured with du's figure: the blocks each file really uses.
#include <sys/stat.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cache/blob_store.h"
#include "cache/rocksdb_cache.h"
#include "cache/testing/test_bytes.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// Bytes of disk the files under `dir` occupy.
uint64_t DiskBytes(const std::string& dir) {
  uint64_t total = 0;
  absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
  if (!names.ok()) return 0;
  for (const std::string& name : *names) {
    const std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    total += S_ISDIR(st.st_mode) ? DiskBytes(path)
                                 : static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

TEST(RocksDbDiskBudgetTest, DiskStaysNearTheBudgetAfterManyEvictions) {
  absl::StatusOr<std::string> dir = MakeTempDir("disk_budget_test");
  ASSERT_TRUE(dir.ok());
  constexpr uint64_t kBudget = 64 * kMiB;
  uint64_t peak = 0;
  {
    RocksDbCache::Options options;
    options.root = *dir + "/db";
    options.max_bytes = kBudget;
    options.min_free_bytes = 0;
    absl::StatusOr<std::unique_ptr<RocksDbCache>> cache =
        RocksDbCache::Open(options);
    ASSERT_TRUE(cache.ok()) << cache.status();
    // Ten times the budget, in blobs small enough to be chunks in RocksDB
    // (under file_threshold), as most layers and context files are.
    for (int i = 0; i < 320; ++i) {
      std::string blob = testing::TestBytes(2 * kMiB, i);
      ASSERT_TRUE(PutBlob(*(*cache)->blobs(), blob).ok());
      peak = std::max(peak, DiskBytes(options.root));
    }
    absl::StatusOr<CacheStats> stats = (*cache)->Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_LE(stats->blob_bytes, kBudget);
  }
  const uint64_t after = DiskBytes(*dir + "/db");
  std::cout << "budget " << kBudget / kMiB << " MiB; disk peak " << peak / kMiB
            << " MiB, after close " << after / kMiB << " MiB\n";
  // The budget, plus what RocksDB holds before it collects: the log and
  // memtables, blob files of evicted chunks not yet compacted away. It was
  // 225 MiB and 71 MiB with memtables and blob files sized for no budget.
  EXPECT_LE(peak, kBudget * 9 / 4);
  EXPECT_LE(after, kBudget * 3 / 2);
  RemoveAll(*dir).IgnoreError();
}

}  // namespace
}  // namespace farm::cache
