#include "auth/token_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::testing::HasSubstr;

constexpr char kOld[] = "old-token-0123456789abcdef";
constexpr char kNew[] = "new-token-0123456789abcdef";

// Captures what is written to stderr (where FARM_LOG goes) while alive.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) : path_(path) {
    fflush(stderr);
    saved_ = dup(2);
    FILE* file = fopen(path.c_str(), "w");
    dup2(fileno(file), 2);
    fclose(file);
  }
  std::string Finish() {
    fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    return ReadFile(path_).value_or("");
  }

 private:
  std::string path_;
  int saved_;
};

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("token_file");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    path_ = JoinPath(dir_, "tokens");
    ASSERT_TRUE(WriteFileAtomic(path_, Line(kOld, "team-a", "admin")).ok());
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  static std::string Line(absl::string_view token, absl::string_view tenant,
                          absl::string_view role) {
    return absl::StrCat(token, " ", tenant, " ", role, "\n");
  }

  std::unique_ptr<TokenFile> Open() {
    absl::StatusOr<std::unique_ptr<TokenFile>> file =
        TokenFile::Open(path_, &clock_, absl::Seconds(1));
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? *std::move(file) : nullptr;
  }

  std::string dir_;
  std::string path_;
  SimulatedClock clock_;
};

TEST_F(TokenFileTest, OpenFailsOnMissingUnreadableOrBadFiles) {
  absl::StatusOr<std::unique_ptr<TokenFile>> file =
      TokenFile::Open(JoinPath(dir_, "missing"), &clock_);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(file.status().message(), HasSubstr(JoinPath(dir_, "missing")));

  file = TokenFile::Open(dir_, &clock_);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(file.status().message(), HasSubstr("is not a regular file"));

  ASSERT_TRUE(WriteFile(path_, "short team-a admin\n").ok());
  file = TokenFile::Open(path_, &clock_);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(file.status().message(), HasSubstr(path_ + ":1: the token"));

  if (geteuid() != 0) {  // root reads anything
    ASSERT_TRUE(WriteFile(path_, Line(kOld, "a", "admin")).ok());
    ASSERT_EQ(chmod(path_.c_str(), 0), 0);
    file = TokenFile::Open(path_, &clock_);
    EXPECT_EQ(file.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(file.status().message(), HasSubstr(path_));
  }
}

TEST_F(TokenFileTest, SeesAnEditOnlyAfterTheCheckInterval) {
  auto file = Open();
  ASSERT_NE(file, nullptr);
  std::optional<Identity> old = file->Find(kOld);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->tenant, "team-a");
  EXPECT_EQ(old->source, absl::StrCat("token on line 1 of ", path_));

  // An in-place edit (same inode), of a different size.
  ASSERT_TRUE(WriteFile(path_, absl::StrCat("# rotated\n",
                                            Line(kNew, "team-b", "worker")))
                  .ok());
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_TRUE(file->Find(kOld).has_value());
  EXPECT_FALSE(file->Find(kNew).has_value());

  clock_.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(file->Find(kOld).has_value());
  std::optional<Identity> fresh = file->Find(kNew);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->tenant, "team-b");
  EXPECT_EQ(fresh->role, Role::kWorker);
  EXPECT_EQ(fresh->source, absl::StrCat("token on line 2 of ", path_));
}

TEST_F(TokenFileTest, SeesAReplacementByRenameOfTheSameSize) {
  auto file = Open();
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(WriteFileAtomic(path_, Line(kNew, "team-a", "admin")).ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(file->Find(kNew).has_value());
  EXPECT_FALSE(file->Find(kOld).has_value());
}

TEST_F(TokenFileTest, ABrokenEditKeepsTheLastGoodTableAndWarnsOnce) {
  auto file = Open();
  ASSERT_NE(file, nullptr);
  StderrCapture capture(JoinPath(dir_, "stderr"));
  ASSERT_TRUE(WriteFile(path_, Line(kNew, "team-b", "superuser")).ok());
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Seconds(2));
    EXPECT_TRUE(file->Find(kOld).has_value());
    EXPECT_FALSE(file->Find(kNew).has_value());
  }
  std::string log = capture.Finish();
  EXPECT_THAT(log, HasSubstr(absl::StrCat(
                       "the token file ", path_,
                       " changed and is now unusable (", path_,
                       ":1: the role (third field) must be client, worker or "
                       "admin); still using the tokens last read from it")));
  EXPECT_EQ(log.find("unusable"), log.rfind("unusable")) << log;
  EXPECT_THAT(log, ::testing::Not(HasSubstr(kNew)));

  // Fixed again: the new table is read.
  ASSERT_TRUE(WriteFileAtomic(path_, Line(kNew, "team-b", "client")).ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(file->Find(kNew).has_value());
  EXPECT_FALSE(file->Find(kOld).has_value());
}

TEST_F(TokenFileTest, AVanishedFileKeepsTheLastGoodTableUntilItReturns) {
  auto file = Open();
  ASSERT_NE(file, nullptr);
  StderrCapture capture(JoinPath(dir_, "stderr"));
  ASSERT_EQ(unlink(path_.c_str()), 0);
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Seconds(1));
    EXPECT_TRUE(file->Find(kOld).has_value());
  }
  std::string log = capture.Finish();
  EXPECT_THAT(log, HasSubstr(absl::StrCat("reading the token file ", path_,
                                          ": No such file or directory")));
  EXPECT_EQ(log.find("No such file"), log.rfind("No such file")) << log;

  ASSERT_TRUE(WriteFileAtomic(path_, Line(kNew, "team-a", "admin")).ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(file->Find(kNew).has_value());
  EXPECT_FALSE(file->Find(kOld).has_value());
}

TEST_F(TokenFileTest, FollowsASymlinkSwap) {
  // How a Kubernetes secret volume updates: a symlink moves to a new file.
  const std::string v1 = JoinPath(dir_, "v1"), v2 = JoinPath(dir_, "v2");
  const std::string link = JoinPath(dir_, "link");
  ASSERT_TRUE(WriteFile(v1, Line(kOld, "team-a", "admin")).ok());
  ASSERT_TRUE(WriteFile(v2, Line(kNew, "team-a", "admin")).ok());
  ASSERT_EQ(symlink(v1.c_str(), link.c_str()), 0);
  absl::StatusOr<std::unique_ptr<TokenFile>> file =
      TokenFile::Open(link, &clock_);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE((*file)->Find(kOld).has_value());

  const std::string tmp = JoinPath(dir_, "link.tmp");
  ASSERT_EQ(symlink(v2.c_str(), tmp.c_str()), 0);
  ASSERT_EQ(rename(tmp.c_str(), link.c_str()), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE((*file)->Find(kNew).has_value());
}

TEST_F(TokenFileTest, ConcurrentLookupsAlwaysSeeAWholeTable) {
  // Every version of the file has kOld; the second line changes.
  auto file = Open();
  ASSERT_NE(file, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        if (!file->Find(kOld).has_value()) ++misses;
        file->Find(kNew);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    const std::string second = i % 2 == 0 ? Line(kNew, "team-b", "client")
                                          : Line(kNew, "team-c", "worker");
    ASSERT_TRUE(
        WriteFileAtomic(path_, Line(kOld, "team-a", "admin") + second).ok());
    clock_.Advance(absl::Seconds(1));
    absl::SleepFor(absl::Microseconds(100));
  }
  stop = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(misses.load(), 0);
  std::optional<Identity> last = file->Find(kNew);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->tenant, "team-c");
}

}  // namespace
}  // namespace farm::auth
