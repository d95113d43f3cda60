#include "worker/fileops/archive.h"

#include <memory>
#include <string>

#include "common/fs.h"
#include "common/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/fileops/fileops_test_util.h"

namespace farm::fileops {
namespace {

using image::tar::TarType;
using testing::Codec;
using testing::Compress;
using testing::Describe;
using ::testing::HasSubstr;
using testing::Tar;

std::unique_ptr<ByteReader> Reader(std::string data) {
  return std::make_unique<StringReader>(std::move(data));
}

const std::string& SmallTar() {
  static const std::string* tar =
      new std::string(Tar({{"dir/", TarType::kDirectory, "", 0750, 3, 4},
                           {"dir/f", TarType::kRegular, "content", 0604, 5, 6},
                           {"dir/l", TarType::kSymlink, "/etc/passwd", 0777}}));
  return *tar;
}

TEST(ArchiveTest, DetectsTarsByContentInEveryCodec) {
  for (Codec c :
       {Codec::kNone, Codec::kGzip, Codec::kBzip2, Codec::kXz, Codec::kZstd}) {
    absl::StatusOr<bool> r = IsTarArchive(Reader(Compress(SmallTar(), c)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(*r) << static_cast<int>(c);
    // The same codec around something that is not a tar.
    r = IsTarArchive(Reader(Compress(std::string(2048, 'x'), c)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(*r) << static_cast<int>(c);
  }
}

TEST(ArchiveTest, RejectsWhatGoWouldNotRead) {
  std::string tar = SmallTar();
  EXPECT_FALSE(*IsTarArchive(Reader("")));
  EXPECT_FALSE(*IsTarArchive(Reader(std::string(1024, '\0'))));  // empty tar
  EXPECT_FALSE(*IsTarArchive(Reader(tar.substr(0, 300))));       // short
  std::string bad_sum = tar;
  bad_sum[0] ^= 1;  // the checksum no longer matches
  EXPECT_FALSE(*IsTarArchive(Reader(bad_sum)));
  // Damaged compression is "not an archive", as for Docker.
  std::string gz = Compress(tar, Codec::kGzip);
  EXPECT_FALSE(*IsTarArchive(Reader(gz.substr(0, 20))));
  // Only one layer of compression is undone.
  EXPECT_FALSE(
      *IsTarArchive(Reader(Compress(Compress(tar, Codec::kGzip), Codec::kXz))));
}

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = *MakeTempDir("extract");
    ASSERT_TRUE(MakeDirs(tmp_ + "/root/dest").ok());
    root_ = std::make_unique<RootFs>(*RootFs::Open(tmp_ + "/root"));
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }
  std::string tmp_;
  std::unique_ptr<RootFs> root_;
};

TEST_F(ExtractTest, KeepsOwnersModesAndLinks) {
  absl::Status s = ExtractArchive(Reader(Compress(SmallTar(), Codec::kXz)),
                                  *root_, "dest", "\"a.tar.xz\"");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Describe(tmp_ + "/root/dest/dir"), "d 0750 3:4");
  EXPECT_EQ(Describe(tmp_ + "/root/dest/dir/f"), "f 0604 5:6 content");
  EXPECT_EQ(Describe(tmp_ + "/root/dest/dir/l"), "l 0:0 -> /etc/passwd");
}

TEST_F(ExtractTest, StaysInsideTheDestination) {
  ASSERT_TRUE(WriteFile(tmp_ + "/root/keep", "k").ok());
  // A symlink to "/" inside the archive resolves to the destination.
  std::string tar = Tar({{"up", TarType::kSymlink, "/", 0777},
                         {"up/escaped", TarType::kRegular, "x", 0644}});
  ASSERT_TRUE(ExtractArchive(Reader(tar), *root_, "dest", "t").ok());
  EXPECT_EQ(Describe(tmp_ + "/root/dest/escaped"), "f 0644 0:0 x");
  EXPECT_EQ(Describe(tmp_ + "/root/escaped"), "absent");

  absl::Status s =
      ExtractArchive(Reader(Tar({{"../../out", TarType::kRegular, "x", 0644}})),
                     *root_, "dest", "\"evil.tar\"");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("extracting \"evil.tar\" into /dest"));
  EXPECT_THAT(s.message(), HasSubstr("escapes the root"));
  EXPECT_EQ(Describe(tmp_ + "/out"), "absent");

  s = ExtractArchive(Reader(Compress(SmallTar(), Codec::kGzip).substr(0, 40)),
                     *root_, "dest", "\"cut.tgz\"");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace farm::fileops
