#include "worker/executor/user.h"

#include <unistd.h>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment is just a strange name\n"
    "\n"
    "web:x:33:33:web:/var/www:/bin/sh\n"
    "  app:x:1000:1000:app:/home/app:/bin/sh  \n"
    "dup:x:2000:2000::/:/bin/sh\n"
    "dup:x:2001:2001::/:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

constexpr char kGroup[] =
    "root:x:0:\n"
    "www-data:x:33:web\n"
    "staff:x:50:app,web\n"
    "audio:x:29:app\n"
    "app:x:1000:\n"
    "nogroup:x:65534:\n";

absl::StatusOr<ResolvedUser> Resolve(absl::string_view spec) {
  return ResolveUserFromFiles(spec, std::string(kPasswd), std::string(kGroup));
}

ResolvedUser User(uint32_t uid, uint32_t gid,
                  std::vector<uint32_t> groups = {}) {
  return ResolvedUser{uid, gid, std::move(groups)};
}

TEST(ResolveUserTest, EmptySpecIsRootWithoutReadingFiles) {
  EXPECT_EQ(*ResolveUserFromFiles("", std::nullopt, std::nullopt), User(0, 0));
}

TEST(ResolveUserTest, NameTakesIdsFromPasswdAndGroupsFromGroup) {
  EXPECT_EQ(*Resolve("app"), User(1000, 1000, {50, 29}));
  EXPECT_EQ(*Resolve("web"), User(33, 33, {33, 50}));
  EXPECT_EQ(*Resolve("root"), User(0, 0));
  // First entry wins.
  EXPECT_EQ(*Resolve("dup"), User(2000, 2000));
}

TEST(ResolveUserTest, NumericUidUsesItsPasswdEntryWhenThereIsOne) {
  EXPECT_EQ(*Resolve("1000"), User(1000, 1000, {50, 29}));
  // Without an entry: that uid, gid 0, no groups.
  EXPECT_EQ(*Resolve("4242"), User(4242, 0));
}

TEST(ResolveUserTest, NumericUidAndGidNeedNoFiles) {
  EXPECT_EQ(*ResolveUserFromFiles("1000:1000", std::nullopt, std::nullopt),
            User(1000, 1000));
  // No supplementary groups on this path, as in BuildKit.
  EXPECT_EQ(*Resolve("1000:50"), User(1000, 50));
  EXPECT_EQ(*Resolve("root:root"), User(0, 0));
}

TEST(ResolveUserTest, ExplicitGroupByNameOrNumber) {
  EXPECT_EQ(*Resolve("app:staff"), User(1000, 50));
  EXPECT_EQ(*Resolve("app:77"), User(1000, 77));
  EXPECT_EQ(*Resolve("4242:www-data"), User(4242, 33));
  EXPECT_EQ(*Resolve("web:0"), User(33, 0));
  // An empty user part stands for uid 0.
  EXPECT_EQ(*Resolve(":staff"), User(0, 50));
}

TEST(ResolveUserTest, UnknownNamesAreNotFoundWithDockersMessage) {
  absl::StatusOr<ResolvedUser> user = Resolve("ghost");
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(user.status().message(),
            "unable to find user ghost: no matching entries in passwd file");

  absl::StatusOr<ResolvedUser> group = Resolve("app:ghosts");
  EXPECT_EQ(group.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(group.status().message(),
            "unable to find group ghosts: no matching entries in group file");
}

TEST(ResolveUserTest, MissingFilesBehaveLikeEmptyOnes) {
  EXPECT_EQ(*ResolveUserFromFiles("123", std::nullopt, std::nullopt),
            User(123, 0));
  EXPECT_EQ(
      ResolveUserFromFiles("app", std::nullopt, std::nullopt).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(*ResolveUserFromFiles("app", std::string(kPasswd), std::nullopt),
            User(1000, 1000));
}

TEST(ResolveUserTest, IdsOutOfRangeAreInvalid) {
  for (const char* spec : {"-1", "2147483648", "app:-5", "app:2147483648"}) {
    absl::StatusOr<ResolvedUser> user = Resolve(spec);
    EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_EQ(user.status().message(),
              "uids and gids must be in range 0-2147483647");
  }
  EXPECT_EQ(*Resolve("2147483647"), User(2147483647, 0));
}

class ResolveUserInRootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("user");
    ASSERT_TRUE(dir.ok());
    root_ = *dir;
    ASSERT_TRUE(MakeDirs(JoinPath(root_, "etc")).ok());
  }
  void TearDown() override { RemoveAll(root_).IgnoreError(); }
  std::string root_;
};

TEST_F(ResolveUserInRootfsTest, ReadsTheRootfsFiles) {
  ASSERT_TRUE(WriteFile(JoinPath(root_, "etc/passwd"), kPasswd).ok());
  ASSERT_TRUE(WriteFile(JoinPath(root_, "etc/group"), kGroup).ok());
  EXPECT_EQ(*ResolveUser(root_, "web"), User(33, 33, {33, 50}));
}

TEST_F(ResolveUserInRootfsTest, SymlinkedPasswdStaysInsideTheRootfs) {
  // The host's /etc/group names root; inside the rootfs it does not exist,
  // so the link leads nowhere and "root" is unknown.
  ASSERT_EQ(symlink("/etc/group", JoinPath(root_, "etc/passwd").c_str()), 0);
  absl::StatusOr<ResolvedUser> user = ResolveUser(root_, "root");
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound) << user.status();
  // A link to itself (the host path of the same name) is a loop, not a read
  // of the host's file.
  ASSERT_EQ(unlink(JoinPath(root_, "etc/passwd").c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", JoinPath(root_, "etc/passwd").c_str()), 0);
  EXPECT_EQ(ResolveUser(root_, "root").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A link to a file inside the rootfs works.
  ASSERT_TRUE(MakeDirs(JoinPath(root_, "usr/share")).ok());
  ASSERT_TRUE(WriteFile(JoinPath(root_, "usr/share/passwd"), kPasswd).ok());
  ASSERT_EQ(unlink(JoinPath(root_, "etc/passwd").c_str()), 0);
  ASSERT_EQ(
      symlink("../usr/share/passwd", JoinPath(root_, "etc/passwd").c_str()), 0);
  EXPECT_EQ(*ResolveUser(root_, "app"), User(1000, 1000));
}

TEST_F(ResolveUserInRootfsTest, NoFilesNeededForNumericSpecs) {
  EXPECT_EQ(*ResolveUser(root_, "7:8"), User(7, 8));
  EXPECT_EQ(*ResolveUser(root_, "7"), User(7, 0));
  EXPECT_THAT(ResolveUser(root_, "").value().additional_gids, IsEmpty());
}

TEST_F(ResolveUserInRootfsTest, APasswdThatIsADirectoryIsAnError) {
  ASSERT_TRUE(MakeDirs(JoinPath(root_, "etc/passwd")).ok());
  EXPECT_EQ(ResolveUser(root_, "app").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace farm::executor
