#include "image/layer/layer_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/decompressor.h"
#include "image/layer/layer_applier.h"
#include "image/layer/tree_snapshot.h"
#include "image/tar/tar_reader.h"

namespace farm::image::layer {
namespace {

using tar::TarEntry;
using tar::TarType;
using ::testing::ElementsAre;

// VFS_CAP_REVISION_2 with cap_net_raw permitted.
const std::string kCap(
    "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00",
    20);

class LayerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDir("layer_writer");
    upper_ = dir_ + "/upper";
    ASSERT_TRUE(MakeDirs(upper_).ok());
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_).ok()); }

  void File(const std::string& rel, const std::string& data, mode_t mode,
            uid_t uid = 0, gid_t gid = 0, time_t mtime = 1600000000) {
    std::string p = upper_ + "/" + rel;
    ASSERT_TRUE(WriteFile(p, data).ok());
    ASSERT_EQ(chown(p.c_str(), uid, gid), 0);
    ASSERT_EQ(chmod(p.c_str(), mode), 0);
    SetTime(rel, mtime);
  }
  void SetTime(const std::string& rel, time_t mtime) {
    struct timespec t[2] = {{mtime, 0}, {mtime, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (upper_ + "/" + rel).c_str(), t,
                        AT_SYMLINK_NOFOLLOW),
              0);
  }

  // An overlay upper dir with every kind of entry.
  void BuildUpper() {
    ASSERT_TRUE(MakeDirs(upper_ + "/etc").ok());
    ASSERT_TRUE(MakeDirs(upper_ + "/opq/sub").ok());
    ASSERT_TRUE(MakeDirs(upper_ + "/usr/bin").ok());
    File("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
    File("etc/shadow", "secret\n", 0600, 0, 42);
    File("usr/bin/tool", "#!/bin/sh\necho hi\n", 04755, 1000, 1000);
    File("usr/bin/ping", "ELF", 0755);
    ASSERT_EQ(setxattr((upper_ + "/usr/bin/ping").c_str(),
                       "security.capability", kCap.data(), kCap.size(), 0),
              0);
    ASSERT_EQ(link((upper_ + "/usr/bin/tool").c_str(),
                   (upper_ + "/usr/bin/tool2").c_str()),
              0);
    ASSERT_EQ(symlink("../etc/passwd", (upper_ + "/usr/pw").c_str()), 0);
    ASSERT_EQ(mkfifo((upper_ + "/usr/fifo").c_str(), 0640), 0);
    ASSERT_EQ(
        mknod((upper_ + "/usr/null").c_str(), S_IFCHR | 0666, makedev(1, 3)),
        0);
    ASSERT_EQ(mknod((upper_ + "/etc/gone").c_str(), S_IFCHR | 0, makedev(0, 0)),
              0);
    ASSERT_EQ(setxattr((upper_ + "/opq").c_str(), "trusted.overlay.opaque", "y",
                       1, 0),
              0);
    File("opq/sub/f", "new", 0644);
    // Whiteouts are written with fixed metadata (mtime 0).
    SetTime("etc/gone", 0);
    for (const char* d : {"etc", "opq/sub", "opq", "usr/bin", "usr"}) {
      SetTime(d, 1500000000);
    }
  }

  absl::StatusOr<LayerInfo> Write(std::string* blob,
                                  LayerWriterOptions opts = {}) {
    StringWriter out(blob);
    return WriteLayer(upper_, &out, opts);
  }

  std::vector<TarEntry> Entries(const std::string& blob) {
    StringReader in(blob);
    compress::DecompressingReader plain(&in);
    tar::TarReader r(&plain);
    std::vector<TarEntry> out;
    TarEntry e;
    while (*r.Next(&e)) out.push_back(e);
    return out;
  }

  std::string dir_, upper_;
};

TEST_F(LayerWriterTest, WritesSortedEntriesWithWhiteoutsAndLinks) {
  BuildUpper();
  std::string blob;
  absl::StatusOr<LayerInfo> info = Write(&blob);
  ASSERT_TRUE(info.ok()) << info.status();
  std::vector<TarEntry> entries = Entries(blob);
  std::vector<std::string> names;
  for (const TarEntry& e : entries) names.push_back(e.name);
  EXPECT_THAT(names,
              ElementsAre("etc/", "etc/.wh.gone", "etc/passwd", "etc/shadow",
                          "opq/", "opq/.wh..wh..opq", "opq/sub/", "opq/sub/f",
                          "usr/", "usr/bin/", "usr/bin/ping", "usr/bin/tool",
                          "usr/bin/tool2", "usr/fifo", "usr/null", "usr/pw"));
  EXPECT_EQ(info->entries, 16);
  auto find = [&](const std::string& n) {
    for (const TarEntry& e : entries) {
      if (e.name == n) return e;
    }
    return TarEntry();
  };
  EXPECT_EQ(find("etc/.wh.gone").type, TarType::kRegular);
  EXPECT_EQ(find("etc/.wh.gone").size, 0);
  EXPECT_EQ(find("etc/shadow").gid, 42);
  EXPECT_EQ(find("etc/shadow").mode, 0600u);
  EXPECT_EQ(find("usr/bin/tool").mode, 04755u);
  EXPECT_EQ(find("usr/bin/tool").uid, 1000);
  EXPECT_EQ(find("usr/bin/tool").uname, "");
  EXPECT_EQ(find("usr/bin/tool2").type, TarType::kHardlink);
  EXPECT_EQ(find("usr/bin/tool2").linkname, "usr/bin/tool");
  EXPECT_EQ(find("usr/bin/ping").xattrs.at("security.capability"), kCap);
  EXPECT_EQ(find("usr/pw").linkname, "../etc/passwd");
  EXPECT_EQ(find("usr/null").devmajor, 1u);
  EXPECT_EQ(find("usr/null").devminor, 3u);
  EXPECT_EQ(find("usr/fifo").type, TarType::kFifo);
  EXPECT_EQ(find("etc/passwd").mtime, 1600000000);
  EXPECT_EQ(find("etc/").mtime, 1500000000);

  // Digest and diffID match the bytes.
  EXPECT_EQ(info->digest, Digest::Of(blob));
  EXPECT_EQ(info->size, static_cast<int64_t>(blob.size()));
  StringReader in(blob);
  compress::DecompressingReader plain(&in);
  std::string tar = *ReadAll(plain);
  EXPECT_EQ(info->diff_id, Digest::Of(tar));
  EXPECT_EQ(info->tar_size, static_cast<int64_t>(tar.size()));
  EXPECT_EQ(info->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
}

TEST_F(LayerWriterTest, SameTreeGivesSameDigestWhateverTheNoise) {
  BuildUpper();
  std::string a, b, c;
  LayerWriterOptions opts;
  opts.compress.threads = 0;
  LayerInfo first = *Write(&a, opts);
  // atime/ctime noise and another thread count change nothing.
  ASSERT_TRUE(ReadFile(upper_ + "/etc/passwd").ok());
  ASSERT_EQ(chmod((upper_ + "/etc/passwd").c_str(), 0644), 0);
  opts.compress.threads = 2;
  LayerInfo second = *Write(&b, opts);
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(a, b);
  // A content change changes both digests.
  File("etc/passwd", "root:x:0:0::/root:/bin/bash\n", 0644);
  LayerInfo third = *Write(&c, opts);
  EXPECT_NE(third.digest, first.digest);
  EXPECT_NE(third.diff_id, first.diff_id);
}

TEST_F(LayerWriterTest, ZstdAndPlainShareTheDiffId) {
  BuildUpper();
  std::string gz, zs, plain;
  LayerWriterOptions opts;
  LayerInfo g = *Write(&gz, opts);
  opts.compression = compress::Compression::kZstd;
  LayerInfo z = *Write(&zs, opts);
  opts.compression = compress::Compression::kNone;
  LayerInfo p = *Write(&plain, opts);
  EXPECT_EQ(g.diff_id, z.diff_id);
  EXPECT_EQ(g.diff_id, p.diff_id);
  EXPECT_EQ(p.digest, p.diff_id);
  EXPECT_EQ(z.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(p.media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(compress::DetectCompression(zs), compress::Compression::kZstd);
}

TEST_F(LayerWriterTest, ClampsMtimesToSourceDateEpoch) {
  File("old", "o", 0644, 0, 0, 1000);
  File("new", "n", 0644, 0, 0, 2000000000);
  std::string blob;
  LayerWriterOptions opts;
  opts.source_date_epoch = 1700000000;
  Write(&blob, opts).IgnoreError();
  std::vector<TarEntry> e = Entries(blob);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].name, "new");
  EXPECT_EQ(e[0].mtime, 1700000000);
  EXPECT_EQ(e[1].mtime, 1000);
}

TEST_F(LayerWriterTest, OverlayApplyReproducesTheUpperDir) {
  BuildUpper();
  std::string blob;
  ASSERT_TRUE(Write(&blob).ok());
  std::string out = dir_ + "/unpacked";
  ASSERT_TRUE(MakeDirs(out).ok());
  StringReader in(blob);
  ApplyOptions opts;
  opts.mode = ApplyMode::kOverlay;
  absl::StatusOr<ApplyResult> r = ApplyLayer(&in, out, opts);
  ASSERT_TRUE(r.ok()) << r.status();
  SnapshotOptions snap;
  snap.dir_mtimes = true;
  std::map<std::string, std::string> want = SnapshotTree(upper_, snap);
  std::map<std::string, std::string> got = SnapshotTree(out, snap);
  want.erase(".");
  got.erase(".");
  EXPECT_EQ(DiffSnapshots(want, got), "");
}

TEST_F(LayerWriterTest, MissingDirIsNotFound) {
  std::string blob;
  StringWriter out(&blob);
  absl::StatusOr<LayerInfo> info = WriteLayer(dir_ + "/nope", &out);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(info.status().message(), ::testing::HasSubstr("/nope"));
}

}  // namespace
}  // namespace farm::image::layer
