#include "common/fs.h"

#include <sys/stat.h>

#include "common/digest.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

TEST(CleanPathTest, FollowsGoPathClean) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("../a/.."), "..");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath("/a/b/../../.."), "/");
}

TEST(PathPartsTest, DirAndBase) {
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("a"), ".");
  EXPECT_EQ(DirName("/a"), "/");
  EXPECT_EQ(BaseName("/a/b/"), "b");
  EXPECT_EQ(BaseName("x"), "x");
  EXPECT_EQ(JoinPath("a/", "/b"), "a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

TEST(FileIoTest, WriteReadRemove) {
  auto dir = MakeTempDir("fs_test");
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string nested = JoinPath(*dir, "x/y/z");
  ASSERT_TRUE(MakeDirs(nested).ok());
  EXPECT_TRUE(IsDirectory(nested));
  std::string file = JoinPath(nested, "f");
  ASSERT_TRUE(WriteFileAtomic(file, "payload").ok());
  auto content = ReadFile(file);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "payload");
  auto digest = DigestFile(file);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, Digest::Of("payload"));
  auto names = ListDir(nested);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"f"});
  chmod(nested.c_str(), 0);  // RemoveAll must cope with unreadable dirs.
  ASSERT_TRUE(RemoveAll(*dir).ok());
  EXPECT_FALSE(PathExists(*dir));
}

TEST(FileIoTest, MissingFileIsNotFound) {
  auto content = ReadFile("/nonexistent/farm/file");
  EXPECT_EQ(content.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(content.status().message().find("/nonexistent/farm/file"),
            std::string::npos);
}

}  // namespace
}  // namespace farm
