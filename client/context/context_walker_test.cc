#include "client/context/context_walker.h"

#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "client/context/test_tree.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::client::context {
namespace {

std::string D(const std::string& s) { return Digest::Of(s).ToString(); }

const proto::ContextEntry* Find(const ContextSnapshot& snap,
                                const std::string& path) {
  for (const proto::ContextEntry& e : snap.manifest.entries()) {
    if (e.path() == path) return &e;
  }
  return nullptr;
}

TEST(ContextWalkerTest, DescribesEveryEntry) {
  TempTree tree;
  tree.Write("bin/run.sh", "#!/bin/sh\necho hi\n", 04750);
  tree.SetMtime("bin/run.sh", 1700000000123456789);
  tree.MakeDir("bin", 0711);
  tree.Symlink("run", "bin/run.sh");
  tree.MakeDir("empty", 0700);
  absl::StatusOr<ContextSnapshot> snap = WalkContext(tree.root(), {});
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->manifest.entries_size(), 4);

  const proto::ContextEntry* file = Find(*snap, "bin/run.sh");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->type(), proto::ContextEntry::FILE);
  EXPECT_EQ(file->mode(), 04750u);
  EXPECT_EQ(file->uid(), getuid());
  EXPECT_EQ(file->gid(), getgid());
  EXPECT_EQ(file->size(), 18);
  EXPECT_EQ(file->digest(), D("#!/bin/sh\necho hi\n"));
  EXPECT_EQ(file->mtime_unix_nanos(), 1700000000123456789);

  const proto::ContextEntry* dir = Find(*snap, "bin");
  EXPECT_EQ(dir->type(), proto::ContextEntry::DIRECTORY);
  EXPECT_EQ(dir->mode(), 0711u);
  EXPECT_EQ(dir->digest(), "");
  const proto::ContextEntry* link = Find(*snap, "run");
  EXPECT_EQ(link->type(), proto::ContextEntry::SYMLINK);
  EXPECT_EQ(link->link_target(), "bin/run.sh");
  EXPECT_EQ(link->size(), 0);
  EXPECT_EQ(Find(*snap, "empty")->mode(), 0700u);

  EXPECT_EQ(snap->stats.files, 1);
  EXPECT_EQ(snap->stats.directories, 2);
  EXPECT_EQ(snap->stats.symlinks, 1);
  EXPECT_EQ(snap->stats.hashed_bytes, 18);
  EXPECT_EQ(FilesByDigest(*snap).at(file->digest())[0].path, "bin/run.sh");
}

TEST(ContextWalkerTest, HardLinksPointAtTheirFirstName) {
  TempTree tree;
  tree.Write("a/first.txt", "shared\n");
  tree.Write("b.txt", "alone\n");
  ASSERT_EQ(link((tree.root() + "/a/first.txt").c_str(),
                 (tree.root() + "/z-second.txt").c_str()),
            0);
  absl::StatusOr<ContextSnapshot> snap = WalkContext(tree.root(), {});
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(Find(*snap, "a/first.txt")->hardlink_of(), "");
  EXPECT_EQ(Find(*snap, "z-second.txt")->hardlink_of(), "a/first.txt");
  EXPECT_EQ(Find(*snap, "z-second.txt")->digest(), D("shared\n"));
  EXPECT_EQ(Find(*snap, "b.txt")->hardlink_of(), "");
}

TEST(ContextWalkerTest, ResolvesTheContextPath) {
  TempTree tree;
  tree.Write("real/a", "a");
  tree.Symlink("alias", "real");
  absl::StatusOr<ContextSnapshot> snap =
      WalkContext(tree.Path("alias") + "/", {});
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->root, tree.Path("real"));
  ASSERT_EQ(snap->manifest.entries_size(), 1);
  EXPECT_EQ(snap->manifest.entries(0).path(), "a");
}

// The stat cache: 5,000 files are hashed once; the next walk reads none of
// them; a changed file is hashed again, the rest still come from the cache.
TEST(ContextWalkerTest, StatCacheServesUnchangedFiles) {
  TempTree tree;
  for (int i = 0; i < 5000; ++i) {
    tree.Write(absl::StrCat("d", i % 50, "/f", i), absl::StrCat("content ", i));
  }
  // Let the files age past the racy window so the first walk caches them.
  absl::SleepFor(absl::Milliseconds(60));
  TempTree cache_dir;  // outside the context
  std::string cache_path = cache_dir.Path("ctx.stat");
  WalkOptions options;
  options.threads = 4;
  options.racy_window = absl::Milliseconds(50);

  StatCache first_cache(cache_path);
  first_cache.Load();
  options.stat_cache = &first_cache;
  absl::StatusOr<ContextSnapshot> first = WalkContext(tree.root(), {}, options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->stats.files, 5000);
  EXPECT_EQ(first->stats.hashed_files, 5000);
  EXPECT_EQ(first->stats.cached_files, 0);
  EXPECT_GT(first->stats.hashed_bytes, 5000 * 9);
  ASSERT_TRUE(first_cache.Save().ok());

  StatCache second_cache(cache_path);
  second_cache.Load();
  options.stat_cache = &second_cache;
  absl::StatusOr<ContextSnapshot> second =
      WalkContext(tree.root(), {}, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->stats.hashed_files, 0);
  EXPECT_EQ(second->stats.hashed_bytes, 0);
  EXPECT_EQ(second->stats.cached_files, 5000);
  EXPECT_EQ(second->manifest.SerializeAsString(),
            first->manifest.SerializeAsString());
  ASSERT_TRUE(second_cache.Save().ok());

  tree.Write("d7/f7", "changed content");
  StatCache third_cache(cache_path);
  third_cache.Load();
  options.stat_cache = &third_cache;
  absl::StatusOr<ContextSnapshot> third = WalkContext(tree.root(), {}, options);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->stats.hashed_files, 1);
  EXPECT_EQ(third->stats.hashed_bytes, 15);
  EXPECT_EQ(third->stats.cached_files, 4999);
  EXPECT_EQ(Find(*third, "d7/f7")->digest(), D("changed content"));
}

// A file written just before the walk may be rewritten within the same
// timestamp tick without a visible stat change, so it is not cached.
TEST(ContextWalkerTest, RecentlyChangedFilesAreNotCached) {
  TempTree tree;
  tree.Write("old", "old");
  tree.SetMtime("old", 1600000000000000000);
  absl::SleepFor(absl::Milliseconds(60));
  tree.Write("fresh", "fresh");
  TempTree cache_dir;
  StatCache cache(cache_dir.Path("ctx.stat"));
  WalkOptions options;
  options.stat_cache = &cache;
  options.racy_window = absl::Milliseconds(50);
  absl::StatusOr<ContextSnapshot> first = WalkContext(tree.root(), {}, options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(cache.size(), 1u);

  // Same size, same mtime, new content: only the uncached file is re-read.
  tree.Write("fresh", "FRESH");
  absl::StatusOr<ContextSnapshot> second =
      WalkContext(tree.root(), {}, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->stats.hashed_files, 1);
  EXPECT_EQ(Find(*second, "fresh")->digest(), D("FRESH"));
}

TEST(ContextWalkerTest, DamagedStatCacheMeansRehashing) {
  TempTree tree;
  tree.Write("a", "a");
  absl::SleepFor(absl::Milliseconds(60));
  TempTree cache_dir;  // outside the context
  std::string cache_path = cache_dir.Path("ctx.stat");
  ASSERT_TRUE(WriteFile(cache_path, "farm-stat-cache 1\nnonsense\n").ok());
  StatCache cache(cache_path);
  cache.Load();
  WalkOptions options;
  options.stat_cache = &cache;
  options.racy_window = absl::Milliseconds(50);
  absl::StatusOr<ContextSnapshot> snap = WalkContext(tree.root(), {}, options);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->stats.hashed_files, 1);
  EXPECT_EQ(Find(*snap, "a")->digest(), D("a"));
  ASSERT_TRUE(cache.Save().ok());
  StatCache reloaded(cache_path);
  reloaded.Load();
  EXPECT_EQ(reloaded.size(), 1u);
}

TEST(ContextWalkerTest, ThreadCountDoesNotChangeTheManifest) {
  TempTree tree;
  for (int i = 0; i < 200; ++i) {
    tree.Write(absl::StrCat("f", i), std::string(i * 100, 'a' + i % 26));
  }
  WalkOptions one;
  one.threads = 1;
  WalkOptions many;
  many.threads = 8;
  auto a = WalkContext(tree.root(), {}, one);
  auto b = WalkContext(tree.root(), {}, many);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->manifest.SerializeAsString(), b->manifest.SerializeAsString());
}

}  // namespace
}  // namespace farm::client::context
