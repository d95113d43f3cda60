#include "worker/context_mirrors.h"

#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "cache/memory_cache.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::worker {
namespace {

using ::testing::ElementsAre;

ino_t Inode(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

class ContextMirrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("mirrors");
    ASSERT_TRUE(dir.ok());
    root_ = JoinPath(*dir, "contexts");
  }
  void TearDown() override {
    mirrors_.reset();
    RemoveAll(DirName(root_)).IgnoreError();
  }

  void Open(int max_mirrors = 2, uint64_t max_bytes = 1 << 20) {
    mirrors_.reset();
    ContextMirrorsOptions options;
    options.root = root_;
    options.max_mirrors = max_mirrors;
    options.max_bytes = max_bytes;
    absl::StatusOr<std::unique_ptr<ContextMirrors>> opened =
        ContextMirrors::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    mirrors_ = *std::move(opened);
  }

  // A manifest of files path -> content.
  proto::ContextManifest Manifest(
      const std::map<std::string, std::string>& files) {
    proto::ContextManifest manifest;
    for (const auto& [path, data] : files) {
      EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), data).ok());
      proto::ContextEntry* entry = manifest.add_entries();
      entry->set_path(path);
      entry->set_type(proto::ContextEntry::FILE);
      entry->set_mode(0644);
      entry->set_size(data.size());
      entry->set_digest(Digest::Of(data).ToString());
    }
    return manifest;
  }

  std::unique_ptr<ContextMirrors::Lease> Acquire(
      const proto::ContextManifest& manifest) {
    absl::StatusOr<std::unique_ptr<ContextMirrors::Lease>> lease =
        mirrors_->Acquire(manifest, *cache_.blobs());
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? *std::move(lease) : nullptr;
  }

  std::string root_;
  cache::MemoryCache cache_;
  std::unique_ptr<ContextMirrors> mirrors_;
};

TEST_F(ContextMirrorsTest, NextJobRewritesOnlyWhatChanged) {
  Open();
  std::string dir;
  ino_t kept = 0;
  {
    auto lease =
        Acquire(Manifest({{"a", std::string(1000, 'a')}, {"b", "two"}, {"c", "x"}}));
    ASSERT_NE(lease, nullptr);
    dir = lease->dir();
    kept = Inode(JoinPath(dir, "a"));
  }
  auto lease =
      Acquire(Manifest({{"a", std::string(1000, 'a')}, {"b", "TWO"}, {"d", "new"}}));
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->dir(), dir);
  EXPECT_EQ(Inode(JoinPath(dir, "a")), kept);
  EXPECT_EQ(*ReadFile(JoinPath(dir, "b")), "TWO");
  EXPECT_THAT(*ListDir(dir), ElementsAre("a", "b", "d"));
  EXPECT_EQ(mirrors_->size(), 1);
}

TEST_F(ContextMirrorsTest, LeasedMirrorsAreNotSharedAndUnrelatedContextsGetTheirOwn) {
  Open(/*max_mirrors=*/2);
  const proto::ContextManifest app = Manifest({{"app", "app"}});
  auto first = Acquire(app);
  auto second = Acquire(app);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->dir(), second->dir());
  EXPECT_EQ(*ReadFile(JoinPath(second->dir(), "app")), "app");
  std::string app_dir = first->dir();
  first.reset();
  second.reset();
  EXPECT_EQ(mirrors_->size(), 2);

  // The busiest match wins; a third lease beyond the limit is dropped after.
  auto again = Acquire(app);
  auto other = Acquire(Manifest({{"lib", "lib"}}));
  auto third = Acquire(Manifest({{"more", "more"}}));
  ASSERT_TRUE(again && other && third);
  EXPECT_EQ(*ReadFile(JoinPath(again->dir(), "app")), "app");
  EXPECT_THAT(*ListDir(other->dir()), ElementsAre("lib"));
  EXPECT_EQ(mirrors_->size(), 3);
  again.reset();
  other.reset();
  third.reset();
  EXPECT_EQ(mirrors_->size(), 2);
}

TEST_F(ContextMirrorsTest, AStageReadingAFewFilesLeavesTheFullMirrorAlone) {
  Open(/*max_mirrors=*/2);
  std::map<std::string, std::string> all;
  for (int i = 0; i < 20; ++i) all["f" + std::to_string(i)] = "content";
  all["package.json"] = "{}";
  std::string full_dir;
  {
    auto full = Acquire(Manifest(all));
    ASSERT_NE(full, nullptr);
    full_dir = full->dir();
  }
  const ino_t kept = Inode(JoinPath(full_dir, "f3"));
  {
    auto few = Acquire(Manifest({{"package.json", "{}"}}));
    ASSERT_NE(few, nullptr);
    EXPECT_NE(few->dir(), full_dir);
  }
  auto again = Acquire(Manifest(all));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->dir(), full_dir);
  EXPECT_EQ(Inode(JoinPath(full_dir, "f3")), kept);
}

TEST_F(ContextMirrorsTest, ByteBudgetRemovesTheLeastRecentlyUsed) {
  Open(/*max_mirrors=*/4, /*max_bytes=*/10);
  std::string old_dir;
  {
    auto lease = Acquire(Manifest({{"f", "123456"}}));
    ASSERT_NE(lease, nullptr);
    old_dir = lease->dir();
  }
  {
    auto lease = Acquire(Manifest({{"g", "abcdef"}}));
    ASSERT_NE(lease, nullptr);
    EXPECT_NE(lease->dir(), old_dir);
  }
  EXPECT_EQ(mirrors_->size(), 1);
  // The evicted files go on the remover's thread.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ListDir(root_)->size() > 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_THAT(*ListDir(root_), ElementsAre("1", "1.manifest"));
}

TEST_F(ContextMirrorsTest, ReopenKeepsCompleteMirrorsAndDropsTheRest) {
  Open();
  std::string dir;
  ino_t kept = 0;
  {
    auto lease = Acquire(Manifest({{"a", "one"}}));
    ASSERT_NE(lease, nullptr);
    dir = lease->dir();
    kept = Inode(JoinPath(dir, "a"));
  }
  // What a crash mid-sync or mid-removal leaves.
  ASSERT_TRUE(MakeDirs(JoinPath(root_, "7/half")).ok());
  ASSERT_TRUE(MakeDirs(JoinPath(root_, "trash-3/x")).ok());
  ASSERT_TRUE(WriteFile(JoinPath(root_, "9.manifest"), "").ok());
  Open();
  EXPECT_EQ(mirrors_->size(), 1);
  EXPECT_THAT(*ListDir(root_), ElementsAre("0", "0.manifest"));
  auto lease = Acquire(Manifest({{"a", "one"}, {"b", "two"}}));
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->dir(), dir);
  EXPECT_EQ(Inode(JoinPath(dir, "a")), kept);
  // New mirrors never reuse a number seen on disk.
  auto other = Acquire(Manifest({{"z", "z"}}));
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->dir(), JoinPath(root_, "8"));
}

TEST_F(ContextMirrorsTest, AFailedSyncDropsTheMirror) {
  Open();
  {
    auto lease = Acquire(Manifest({{"a", "one"}}));
    ASSERT_NE(lease, nullptr);
  }
  proto::ContextManifest missing = Manifest({{"a", "one"}});
  proto::ContextEntry* entry = missing.add_entries();
  entry->set_path("gone");
  entry->set_digest(Digest::Of("never stored").ToString());
  absl::StatusOr<std::unique_ptr<ContextMirrors::Lease>> lease =
      mirrors_->Acquire(missing, *cache_.blobs());
  EXPECT_EQ(lease.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(mirrors_->size(), 0);
  auto next = Acquire(Manifest({{"a", "one"}}));
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(*ReadFile(JoinPath(next->dir(), "a")), "one");
}

}  // namespace
}  // namespace farm::worker
