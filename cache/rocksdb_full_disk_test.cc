// A cache whose disk fills up: it makes room by evicting least recently
// used blobs; when nothing can go, writes fail with kResourceExhausted and
// reads go on; and writes work again once space returns, with no reopen.
// RocksDB itself never meets the full disk. Runs on a small tmpfs of its
// own (it needs root to mount one, and skips otherwise).
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cache/blob_store.h"
#include "cache/rocksdb_cache.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "openssl/rand.h"

namespace farm::cache {
namespace {

constexpr uint64_t kMiB = 1 << 20;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("full_disk_test");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    if (mount("farm-full-disk", dir_.c_str(), "tmpfs", 0, "size=400m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
    }
    mounted_ = true;
    RocksDbCache::Options options;
    options.root = dir_ + "/db";
    options.max_bytes = 0;  // no budget: only the disk limits it
    options.file_threshold = 256 << 10;
    options.min_free_bytes = 100 * kMiB;
    absl::StatusOr<std::unique_ptr<RocksDbCache>> opened =
        RocksDbCache::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    cache_ = *std::move(opened);
  }
  void TearDown() override {
    cache_.reset();
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    RemoveAll(dir_).IgnoreError();
  }

  // Fills the disk with a file of its own until `free` bytes are left.
  void FillUntil(uint64_t free) {
    const std::string path = dir_ + "/filler" + std::to_string(fillers_++);
    absl::StatusOr<uint64_t> now = FreeBytes();
    ASSERT_TRUE(now.ok());
    ASSERT_GT(*now, free);
    ASSERT_TRUE(WriteFile(path, std::string(*now - free, 'x')).ok());
  }
  absl::StatusOr<uint64_t> FreeBytes() {
    struct statvfs fs;
    if (statvfs(dir_.c_str(), &fs) != 0) return absl::InternalError("statvfs");
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }

  std::string dir_;
  bool mounted_ = false;
  int fillers_ = 0;
  std::unique_ptr<RocksDbCache> cache_;
};

TEST_F(FullDiskTest, ItEvictsToMakeRoomThenRefusesClearlyThenRecovers) {
  BlobStore& blobs = *cache_->blobs();
  std::vector<std::string> stored;
  for (int i = 0; i < 8; ++i) {
    stored.push_back(RandomBytes(4 * kMiB));
    ASSERT_TRUE(PutBlob(blobs, stored.back()).ok());
  }
  // Something else takes the disk down to less than the cache keeps free:
  // the next upload evicts the oldest blobs to make room.
  FillUntil(90 * kMiB);
  std::string fresh = RandomBytes(4 * kMiB);
  ASSERT_TRUE(PutBlob(blobs, fresh).ok());
  EXPECT_FALSE(cache_->blobs()->Contains(Digest::Of(stored[0])));
  EXPECT_TRUE(GetBlob(blobs, Digest::Of(fresh), 8 * kMiB).ok());

  // Nothing left that would make room: a clear refusal, and reads go on.
  FillUntil(20 * kMiB);
  absl::Status refused = PutBlob(blobs, RandomBytes(4 * kMiB));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("disk is full"), std::string::npos)
      << refused;
  EXPECT_TRUE(GetBlob(blobs, Digest::Of(fresh), 8 * kMiB).ok());
  // Action results are small and still fit in what is kept free.
  absl::Status small = PutBlob(blobs, "small");
  EXPECT_TRUE(small.ok()) << small;

  // Space returns: the same open cache writes again.
  for (int i = 0; i < fillers_; ++i) {
    ASSERT_EQ(unlink((dir_ + "/filler" + std::to_string(i)).c_str()), 0);
  }
  std::string later = RandomBytes(4 * kMiB);
  EXPECT_TRUE(PutBlob(blobs, later).ok());
  EXPECT_TRUE(GetBlob(blobs, Digest::Of(later), 8 * kMiB).ok());
}

}  // namespace
}  // namespace farm::cache
