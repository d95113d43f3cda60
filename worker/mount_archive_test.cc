// A cache mount's tar round trip, and restores of tars made to escape the
// directory: each is refused with its code and leaves everything outside
// the directory as it was.
#include "worker/mount_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/layer/tree_snapshot.h"
#include "image/tar/tar_writer.h"

namespace farm::worker {
namespace {

using image::layer::DiffSnapshots;
using image::layer::SnapshotTree;
using image::tar::TarEntry;
using image::tar::TarType;
using ::testing::HasSubstr;

class MountArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    top_ = *MakeTempDir("mount-archive");
    source_ = JoinPath(top_, "source");
    target_ = JoinPath(top_, "target");
    outside_ = JoinPath(top_, "outside");
    ASSERT_TRUE(MakeDirs(source_).ok());
    ASSERT_TRUE(MakeDirs(target_).ok());
    ASSERT_TRUE(MakeDirs(JoinPath(outside_, "dir")).ok());
    ASSERT_TRUE(WriteFile(JoinPath(outside_, "secret"), "do not touch").ok());
    before_ = SnapshotTree(outside_);
  }
  void TearDown() override {
    EXPECT_EQ(DiffSnapshots(before_, SnapshotTree(outside_)), "")
        << "something outside the mount changed";
    RemoveAll(top_).IgnoreError();
  }

  // Unpacks a tar built from `entries` (regular ones hold "data") into
  // target_, with a cap of `max_bytes`.
  absl::Status Unpack(const std::vector<TarEntry>& entries,
                      uint64_t max_bytes = 1 << 20) {
    std::string tar;
    StringWriter sink(&tar);
    image::tar::TarWriter writer(&sink);
    for (TarEntry entry : entries) {
      std::string data = entry.type == TarType::kRegular ? "data" : "";
      if (entry.size > 0) data = std::string(entry.size, 'x');
      entry.size = data.size();
      EXPECT_TRUE(writer.WriteHeader(entry).ok());
      EXPECT_TRUE(writer.WriteData(data).ok());
    }
    EXPECT_TRUE(writer.Finish().ok());
    StringReader in(tar);
    return UnpackDir(&in, target_, max_bytes);
  }

  static TarEntry Entry(std::string name, TarType type = TarType::kRegular,
                        std::string link = "") {
    TarEntry entry;
    entry.name = std::move(name);
    entry.type = type;
    entry.linkname = std::move(link);
    entry.mode = type == TarType::kDirectory ? 0755 : 0644;
    entry.mtime = 1000;
    return entry;
  }

  void ExpectRefused(const absl::Status& status, absl::StatusCode code,
                     const std::string& message) {
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_THAT(status.message(), HasSubstr(message));
  }

  std::string top_, source_, target_, outside_;
  std::map<std::string, std::string> before_;
};

TEST_F(MountArchiveTest, ADirectoryComesBackAsItWas) {
  ASSERT_TRUE(MakeDirs(JoinPath(source_, "npm/_cacache/index")).ok());
  ASSERT_TRUE(MakeDirs(JoinPath(source_, "empty")).ok());
  ASSERT_TRUE(
      WriteFile(JoinPath(source_, "npm/_cacache/index/a"), "aaaa").ok());
  ASSERT_TRUE(WriteFile(JoinPath(source_, "stamp"), "Mon Jan 1\n", 0600).ok());
  ASSERT_EQ(chown(JoinPath(source_, "stamp").c_str(), 1000, 50), 0);
  ASSERT_EQ(link(JoinPath(source_, "stamp").c_str(),
                 JoinPath(source_, "stamp-link").c_str()),
            0);
  // A symlink may point anywhere: it is only ever a symlink here.
  ASSERT_EQ(symlink("/etc/passwd", JoinPath(source_, "abs").c_str()), 0);
  struct timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, JoinPath(source_, "stamp").c_str(), times, 0),
            0);

  absl::StatusOr<ArchivedDir> tar =
      ArchiveDir(source_, JoinPath(top_, "gen.tar.gz"));
  ASSERT_TRUE(tar.ok()) << tar.status();
  absl::StatusOr<std::string> bytes = ReadFile(JoinPath(top_, "gen.tar.gz"));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(tar->digest, Digest::Of(*bytes));
  EXPECT_EQ(tar->size, static_cast<int64_t>(bytes->size()));
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]), 0x1f);  // gzip

  StringReader in(*bytes);
  ASSERT_TRUE(UnpackDir(&in, target_, 1 << 20).ok());
  EXPECT_EQ(DiffSnapshots(SnapshotTree(source_), SnapshotTree(target_)), "");
  struct stat a, b;
  ASSERT_EQ(stat(JoinPath(target_, "stamp").c_str(), &a), 0);
  ASSERT_EQ(stat(JoinPath(target_, "stamp-link").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // still one file
  EXPECT_EQ(a.st_uid, 1000u);
  EXPECT_EQ(a.st_mtim.tv_sec, 1600000000);
}

TEST_F(MountArchiveTest, NamesThatClimbOutAreRefused) {
  ExpectRefused(Unpack({Entry("../outside/secret")}),
                absl::StatusCode::kInvalidArgument, "../outside/secret");
  ExpectRefused(Unpack({Entry("a/../../escape")}),
                absl::StatusCode::kInvalidArgument, "escape");
}

TEST_F(MountArchiveTest, AbsoluteNamesLandInside) {
  ASSERT_TRUE(Unpack({Entry("/outside-looking")}).ok());
  EXPECT_TRUE(PathExists(JoinPath(target_, "outside-looking")));
}

TEST_F(MountArchiveTest, WritesThroughSymlinksAreRefused) {
  const std::string out = outside_;
  ExpectRefused(
      Unpack({Entry("link", TarType::kSymlink, out), Entry("link/secret")}),
      absl::StatusCode::kInvalidArgument, "link/secret");
  ASSERT_TRUE(RemoveAll(target_).ok() && MakeDirs(target_).ok());
  ExpectRefused(Unpack({Entry("up", TarType::kSymlink, "../outside"),
                        Entry("up/dir/planted")}),
                absl::StatusCode::kInvalidArgument, "up/dir/planted");
}

TEST_F(MountArchiveTest, HardlinksOutsideAreRefused) {
  ExpectRefused(Unpack({Entry("h", TarType::kHardlink, "../outside/secret")}),
                absl::StatusCode::kInvalidArgument, "h");
}

TEST_F(MountArchiveTest, DeviceNodesAreRefused) {
  TarEntry device = Entry("mem", TarType::kCharDevice);
  device.devmajor = 1;
  device.devminor = 1;
  ExpectRefused(Unpack({device}), absl::StatusCode::kPermissionDenied, "mem");
  EXPECT_FALSE(PathExists(JoinPath(target_, "mem")));
}

TEST_F(MountArchiveTest, ATarPastTheCapIsRefused) {
  TarEntry big = Entry("big");
  big.size = 64 << 10;
  ExpectRefused(Unpack({big}, /*max_bytes=*/16 << 10),
                absl::StatusCode::kResourceExhausted, "");
}

}  // namespace
}  // namespace farm::worker
