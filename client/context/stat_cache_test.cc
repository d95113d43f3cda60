#include "client/context/stat_cache.h"

#include <cstdlib>

#include "client/context/test_tree.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::client::context {
namespace {

FileIdentity Id(uint64_t ino) {
  FileIdentity id;
  id.dev = 2049;
  id.ino = ino;
  id.size = 10 * ino;
  id.mtime_nanos = 1700000000123456789;
  id.ctime_nanos = 1700000000987654321;
  return id;
}

std::string D(const std::string& s) { return Digest::Of(s).ToString(); }

TEST(StatCacheTest, RoundTripsThroughItsFile) {
  TempTree tree;
  std::string path = tree.Path("cache/ctx.stat");
  StatCache cache(path);
  cache.Load();
  cache.Insert(Id(1), Digest::Of("one"));
  cache.Insert(Id(2), Digest::Of("two"));
  ASSERT_TRUE(cache.Save().ok());

  StatCache again(path);
  again.Load();
  EXPECT_EQ(again.size(), 2u);
  std::string digest;
  ASSERT_TRUE(again.Lookup(Id(2), &digest));
  EXPECT_EQ(digest, D("two"));
  FileIdentity changed = Id(2);
  changed.ctime_nanos += 1;
  EXPECT_FALSE(again.Lookup(changed, &digest));
}

TEST(StatCacheTest, SaveDropsEntriesNotUsedSinceLoad) {
  TempTree tree;
  std::string path = tree.Path("ctx.stat");
  StatCache cache(path);
  cache.Insert(Id(1), Digest::Of("one"));
  cache.Insert(Id(2), Digest::Of("two"));
  ASSERT_TRUE(cache.Save().ok());

  StatCache second(path);
  second.Load();
  std::string digest;
  ASSERT_TRUE(second.Lookup(Id(1), &digest));
  ASSERT_TRUE(second.Save().ok());

  StatCache third(path);
  third.Load();
  EXPECT_EQ(third.size(), 1u);
  EXPECT_TRUE(third.Lookup(Id(1), &digest));
  EXPECT_FALSE(third.Lookup(Id(2), &digest));
}

TEST(StatCacheTest, SkipsTheWriteWhenNothingChanged) {
  TempTree tree;
  std::string path = tree.Path("ctx.stat");
  StatCache cache(path);
  cache.Insert(Id(1), Digest::Of("one"));
  ASSERT_TRUE(cache.Save().ok());

  StatCache reader(path);
  reader.Load();
  std::string digest;
  ASSERT_TRUE(reader.Lookup(Id(1), &digest));
  ASSERT_TRUE(RemoveAll(path).ok());
  ASSERT_TRUE(reader.Save().ok());
  EXPECT_FALSE(PathExists(path)) << "an unchanged cache was rewritten";
}

TEST(StatCacheTest, IgnoresDamagedFiles) {
  TempTree tree;
  std::string path = tree.Path("ctx.stat");
  StatCache cache(path);
  cache.Insert(Id(1), Digest::Of("one"));
  ASSERT_TRUE(cache.Save().ok());
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok());

  // A flipped digit in an entry no longer matches the trailer's checksum.
  std::string flipped = *text;
  size_t at = flipped.find("2049");
  ASSERT_NE(at, std::string::npos);
  flipped[at] = '3';
  // A cut-off file has no trailer; garbage has no header.
  for (const std::string& bad : {flipped, text->substr(0, text->size() / 2),
                                 std::string("\x01\x02"), std::string()}) {
    ASSERT_TRUE(WriteFile(path, bad).ok());
    StatCache damaged(path);
    damaged.Load();
    EXPECT_EQ(damaged.size(), 0u) << bad;
    std::string digest;
    EXPECT_FALSE(damaged.Lookup(Id(1), &digest));
  }
}

TEST(StatCacheTest, DefaultPathFollowsXdgThenHome) {
  const char* old_xdg = getenv("XDG_CACHE_HOME");
  const char* old_home = getenv("HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "";
  std::string saved_home = old_home ? old_home : "";
  std::string hex = Digest::Of("/src/app").hex();

  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DefaultStatCachePath("/src/app"),
            "/x/cache/farm/context/" + hex + ".stat");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DefaultStatCachePath("/src/app"),
            "/home/u/.cache/farm/context/" + hex + ".stat");
  unsetenv("HOME");
  EXPECT_EQ(DefaultStatCachePath("/src/app"), "");

  if (old_xdg) setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace farm::client::context
