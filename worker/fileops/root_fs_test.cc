#include "worker/fileops/root_fs.h"

#include <sys/stat.h>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/fileops/fileops_test_util.h"

namespace farm::fileops {
namespace {

using testing::Describe;
using ::testing::HasSubstr;

class RootFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = *MakeTempDir("root_fs");
    ASSERT_TRUE(MakeDirs(tmp_ + "/root").ok());
    ASSERT_TRUE(WriteFile(tmp_ + "/passwd", "host:x:1:1::/:/bin/sh\n").ok());
    testing::BuildTree(
        tmp_ + "/root",
        {"d etc 0755 0:0", "d real 0755 0:0",
         "f real/passwd 0644 0:0 app:x:1000:1000::/:/bin/sh\n",
         "l etc/passwd ../../../real/passwd", "l etc/group /../../passwd",
         "l abs /real", "l rel ../../real", "l chain abs", "l loop1 loop2",
         "l loop2 loop1", "l dangling /nowhere/deeper", "f file 0644 0:0 f"});
    root_ = std::make_unique<RootFs>(*RootFs::Open(tmp_ + "/root"));
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }

  std::string tmp_;
  std::unique_ptr<RootFs> root_;
};

TEST_F(RootFsTest, ResolvesLikeTheContainerSeesIt) {
  struct C {
    const char* path;
    bool follow_last;
    const char* want;
  } cases[] = {
      {"/", true, ""},
      {"/etc/passwd", true, "real/passwd"},
      {"/etc/passwd", false, "etc/passwd"},
      {"/abs/x", true, "real/x"},
      {"rel/passwd", true, "real/passwd"},
      {"/chain/passwd", true, "real/passwd"},
      {"/../../../etc", true, "etc"},
      {"/a/../abs/../b/./c", true, "b/c"},
      {"/dangling", true, "nowhere/deeper"},
      {"/dangling/x", true, "nowhere/deeper/x"},
      {"/file/x", true, "file/x"},
  };
  for (const C& c : cases) {
    absl::StatusOr<std::string> r = root_->Resolve(c.path, c.follow_last);
    ASSERT_TRUE(r.ok()) << c.path << ": " << r.status();
    EXPECT_EQ(*r, c.want) << c.path;
  }
  absl::Status loop = root_->Resolve("/loop1/x", true).status();
  EXPECT_EQ(loop.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loop.message(), HasSubstr("too many levels of symbolic links"));
}

TEST_F(RootFsTest, ReadsFilesThroughSymlinksInsideTheRoot) {
  EXPECT_EQ(**root_->ReadFile("/etc/passwd"), "app:x:1000:1000::/:/bin/sh\n");
  // /etc/group points above the root: it resolves to /passwd in the root,
  // which does not exist; the host's file is never read.
  EXPECT_EQ(*root_->ReadFile("/etc/group"), std::nullopt);
  EXPECT_EQ(*root_->ReadFile("/missing/file"), std::nullopt);
  EXPECT_EQ(root_->ReadFile("/real").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(root_->ReadFile("/etc/passwd", 4).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(RootFsTest, MkdirAllOwnsWhatItMakes) {
  ASSERT_TRUE(root_->MkdirAll("real/a/b", Owner{7, 8}).ok());
  EXPECT_EQ(Describe(tmp_ + "/root/real"), "d 0755 0:0");
  EXPECT_EQ(Describe(tmp_ + "/root/real/a"), "d 0755 7:8");
  EXPECT_EQ(Describe(tmp_ + "/root/real/a/b"), "d 0755 7:8");
  ASSERT_TRUE(root_->MkdirAll("x", std::nullopt).ok());
  EXPECT_EQ(Describe(tmp_ + "/root/x"), "d 0755 0:0");
  absl::Status s = root_->MkdirAll("file/sub", std::nullopt);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("/file is not a directory"));
  EXPECT_FALSE(root_->Lstat("nothing")->has_value());
  EXPECT_TRUE(S_ISLNK((*root_->Lstat("abs"))->st_mode));
}

}  // namespace
}  // namespace farm::fileops
