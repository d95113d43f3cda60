#include "worker/executor/rooted_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::HasSubstr;

class RootedPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("rooted");
    ASSERT_TRUE(dir.ok());
    base_ = *dir;
    root_ = JoinPath(base_, "root");
    outside_ = JoinPath(base_, "outside");
    ASSERT_TRUE(MakeDirs(JoinPath(root_, "etc")).ok());
    ASSERT_TRUE(MakeDirs(JoinPath(root_, "a/b")).ok());
    ASSERT_TRUE(MakeDirs(JoinPath(outside_, "etc")).ok());
    ASSERT_TRUE(WriteFile(JoinPath(root_, "etc/passwd"), "inside\n").ok());
    ASSERT_TRUE(WriteFile(JoinPath(outside_, "etc/passwd"), "outside\n").ok());
  }
  void TearDown() override { RemoveAll(base_).IgnoreError(); }

  void Link(const std::string& target, const std::string& rel) {
    ASSERT_EQ(symlink(target.c_str(), JoinPath(root_, rel).c_str()), 0) << rel;
  }

  std::string base_, root_, outside_;
};

TEST_F(RootedPathTest, PlainAndMissingPaths) {
  EXPECT_EQ(*ResolveInRoot(root_, "/"), "");
  EXPECT_EQ(*ResolveInRoot(root_, "/a/b"), "a/b");
  EXPECT_EQ(*ResolveInRoot(root_, "a//./b/"), "a/b");
  EXPECT_EQ(*ResolveInRoot(root_, "/a/missing/x"), "a/missing/x");
  // ".." never climbs above the root, and undoes a missing component.
  EXPECT_EQ(*ResolveInRoot(root_, "/../../etc"), "etc");
  EXPECT_EQ(*ResolveInRoot(root_, "/missing/../a"), "a");
}

TEST_F(RootedPathTest, AbsoluteSymlinksResolveAgainstTheRoot) {
  Link(outside_, "escape");  // an absolute host path, taken inside the root
  EXPECT_EQ(*ResolveInRoot(root_, "/escape/etc"),
            JoinPath(outside_.substr(1), "etc"));
  Link("/etc", "a/etc");
  EXPECT_EQ(*ResolveInRoot(root_, "/a/etc/passwd"), "etc/passwd");
}

TEST_F(RootedPathTest, DotDotInSymlinksStopsAtTheRoot) {
  Link("../../../../../../etc", "a/b/up");
  EXPECT_EQ(*ResolveInRoot(root_, "/a/b/up/passwd"), "etc/passwd");
  Link("b/../../etc", "a/rel");
  EXPECT_EQ(*ResolveInRoot(root_, "/a/rel"), "etc");
}

TEST_F(RootedPathTest, DanglingSymlinkTargetsAreKeptLexically) {
  Link("/run/hosts", "etc/hosts");
  EXPECT_EQ(*ResolveInRoot(root_, "/etc/hosts"), "run/hosts");
}

TEST_F(RootedPathTest, SymlinkLoopIsAnError) {
  Link("loop2", "loop1");
  Link("loop1", "loop2");
  absl::StatusOr<std::string> rel = ResolveInRoot(root_, "/loop1/x");
  EXPECT_EQ(rel.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rel.status().message(),
              HasSubstr("too many levels of symbolic links"));
}

TEST_F(RootedPathTest, ReadFileNeverReadsHostFiles) {
  ASSERT_EQ(unlink(JoinPath(root_, "etc/passwd").c_str()), 0);
  // An absolute link to the host's copy means that path inside the root,
  // where nothing exists.
  Link(JoinPath(outside_, "etc/passwd"), "etc/passwd");
  EXPECT_EQ(ReadFileInRoot(root_, "/etc/passwd").status().code(),
            absl::StatusCode::kNotFound);

  // A relative link climbing past the root lands inside it.
  ASSERT_EQ(unlink(JoinPath(root_, "etc/passwd").c_str()), 0);
  ASSERT_TRUE(WriteFile(JoinPath(root_, "etc/real"), "inside\n").ok());
  Link("../../../../../../etc/real", "etc/passwd");
  absl::StatusOr<std::string> content = ReadFileInRoot(root_, "/etc/passwd");
  ASSERT_TRUE(content.ok()) << content.status();
  EXPECT_EQ(*content, "inside\n");
}

TEST_F(RootedPathTest, ReadFileRejectsFifosAndDirectoriesAndHugeFiles) {
  ASSERT_EQ(mkfifo(JoinPath(root_, "etc/fifo").c_str(), 0644), 0);
  EXPECT_EQ(ReadFileInRoot(root_, "/etc/fifo").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFileInRoot(root_, "/etc").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFileInRoot(root_, "/etc/passwd", 3).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReadFileInRoot(root_, "/etc/none").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RootedPathTest, MkdirAllCreatesInsideTheRootThroughSymlinks) {
  Link(outside_, "work");  // would be the host's outside_ if followed naively
  ASSERT_TRUE(MkdirAllInRoot(root_, "/work/app/src").ok());
  EXPECT_TRUE(
      IsDirectory(JoinPath(root_, JoinPath(outside_.substr(1), "app/src"))));
  EXPECT_FALSE(PathExists(JoinPath(outside_, "app")));
  struct stat st;
  ASSERT_EQ(stat(JoinPath(root_, "a/b").c_str(), &st), 0);
  ASSERT_TRUE(MkdirAllInRoot(root_, "/a/b").ok());  // existing is fine
  ASSERT_TRUE(MkdirAllInRoot(root_, "/new").ok());
  ASSERT_EQ(stat(JoinPath(root_, "new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(RootedPathTest, MkdirAllThroughAFileFails) {
  absl::Status status = MkdirAllInRoot(root_, "/etc/passwd/x");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("passwd is not a directory"));
}

TEST_F(RootedPathTest, OpenDirRefusesSymlinks) {
  Link("/a", "link");
  EXPECT_EQ(OpenDirInRoot(root_, "link").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(OpenDirInRoot(root_, "a/b").ok());
  EXPECT_EQ(OpenDirInRoot(root_, "a/none").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace farm::executor
