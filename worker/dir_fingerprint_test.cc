#include "worker/dir_fingerprint.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::worker {
namespace {

class DirFingerprintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDir("fingerprint");
    ASSERT_TRUE(MakeDirs(JoinPath(dir_, "sub")).ok());
    ASSERT_TRUE(WriteFile(JoinPath(dir_, "sub/a"), "aaaa").ok());
    ASSERT_TRUE(WriteFile(JoinPath(dir_, "b"), "bb").ok());
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  Digest Fingerprint() {
    absl::StatusOr<DirSummary> summary = SummarizeDir(dir_);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? summary->fingerprint : Digest();
  }

  std::string dir_;
};

TEST_F(DirFingerprintTest, CountsAndStaysPutWhileNothingChanges) {
  ASSERT_EQ(link(JoinPath(dir_, "b").c_str(), JoinPath(dir_, "b2").c_str()), 0);
  absl::StatusOr<DirSummary> summary = SummarizeDir(dir_);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->entries, 4u);  // sub, sub/a, b, b2
  EXPECT_EQ(summary->bytes, 6u);    // b once
  EXPECT_EQ(Fingerprint(), summary->fingerprint);
  EXPECT_FALSE(summary->fingerprint.empty());
}

TEST_F(DirFingerprintTest, AnyChangeMovesIt) {
  const Digest before = Fingerprint();
  // Same size, new bytes: the write moves mtime and ctime.
  ASSERT_TRUE(WriteFile(JoinPath(dir_, "sub/a"), "zzzz").ok());
  const Digest rewritten = Fingerprint();
  EXPECT_NE(rewritten, before);
  ASSERT_EQ(chmod(JoinPath(dir_, "b").c_str(), 0600), 0);
  const Digest chmodded = Fingerprint();
  EXPECT_NE(chmodded, rewritten);
  ASSERT_EQ(symlink("b", JoinPath(dir_, "sub/l").c_str()), 0);
  const Digest linked = Fingerprint();
  EXPECT_NE(linked, chmodded);
  ASSERT_EQ(unlink(JoinPath(dir_, "sub/l").c_str()), 0);
  EXPECT_NE(Fingerprint(), linked);
}

TEST_F(DirFingerprintTest, AMissingDirectoryIsNotFound) {
  EXPECT_EQ(SummarizeDir(JoinPath(dir_, "nope")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace farm::worker
