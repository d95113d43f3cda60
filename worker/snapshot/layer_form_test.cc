// Commit adopts an upper dir as a layer snapshot; these tests check that the
// adopted tree is exactly what unpacking the layer written from it gives.
#include "worker/snapshot/layer_form.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "image/layer/layer_applier.h"
#include "image/layer/layer_writer.h"
#include "image/layer/tree_snapshot.h"
#include "worker/snapshot/snapshot_store.h"
#include "worker/snapshot/store_layout.h"
#include "worker/snapshot/snapshot_test_util.h"

namespace farm::snapshot {
namespace {

using image::layer::SnapshotOptions;
using image::layer::SnapshotTree;
using testing::Dir;
using testing::File;
using testing::MakeTar;
using testing::Marker;
using testing::PutLayer;

// A socket inode, as a server left behind (mknod avoids bind's path limit).
void MakeSocket(const std::string& path) {
  ASSERT_EQ(mknod(path.c_str(), S_IFSOCK | 0755, 0), 0) << strerror(errno);
}

void SetTime(const std::string& path, int64_t sec, long nsec) {
  struct timespec t[2] = {{sec, nsec}, {sec, nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0);
}

std::map<std::string, std::string> Tree(const std::string& dir) {
  SnapshotOptions options;
  options.dir_mtimes = true;
  std::map<std::string, std::string> tree = SnapshotTree(dir, options);
  tree.erase(".");  // the root is not part of a layer
  return tree;
}

class LayerFormTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = *MakeTempDir("layer_form");
    SnapshotStoreOptions options;
    options.root = tmp_ + "/snapshots";
    store_ = *SnapshotStore::Open(options, &blobs_);
    base_ = PutLayer(
        blobs_, MakeTar({Dir("a"), File("a/x", "x"), File("a/keep", "k"),
                         Dir("b"), File("b/old", "o"), File("gone", "g")}));
  }
  void TearDown() override {
    store_.reset();
    ASSERT_TRUE(RemoveAll(tmp_).ok());
  }

  // Writes the layer of `ws`'s upper dir, commits the workspace, and checks
  // the adopted snapshot against an unpack of that layer.
  proto::LayerRef CommitAndCompare(std::unique_ptr<Workspace> ws,
                                   std::optional<int64_t> sde) {
    std::string blob;
    StringWriter sink(&blob);
    image::layer::LayerWriterOptions wopts;
    wopts.source_date_epoch = sde;
    absl::StatusOr<image::layer::LayerInfo> info =
        image::layer::WriteLayer(ws->upper(), &sink, wopts);
    EXPECT_TRUE(info.ok()) << info.status();
    absl::Status s = ws->Commit(info->diff_id, sde);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_TRUE(store_->Contains(info->diff_id));

    std::string fresh = tmp_ + "/fresh";
    EXPECT_TRUE(RemoveAll(fresh).ok());
    EXPECT_TRUE(MakeDirs(fresh).ok());
    StringReader in(blob);
    image::layer::ApplyOptions aopts;
    aopts.mode = image::layer::ApplyMode::kOverlay;
    EXPECT_TRUE(image::layer::ApplyLayer(&in, fresh, aopts).ok());
    std::string adopted = store_->LayerPath(info->diff_id);
    EXPECT_EQ(image::layer::DiffSnapshots(Tree(fresh), Tree(adopted)), "");
    EXPECT_TRUE(cache::PutBlob(blobs_, blob).ok());
    proto::LayerRef ref;
    ref.set_digest(info->digest.ToString());
    ref.set_diff_id(info->diff_id.ToString());
    return ref;
  }

  std::string tmp_;
  cache::MemoryBlobStore blobs_;
  std::unique_ptr<SnapshotStore> store_;
  proto::LayerRef base_;
};

TEST_F(LayerFormTest, CommittedUpperEqualsItsUnpackedLayer) {
  std::unique_ptr<Workspace> ws = *store_->Mount({base_});
  std::string r = ws->rootfs();
  ASSERT_TRUE(WriteFile(r + "/a/new", "new").ok());
  SetTime(r + "/a/new", 1500000000, 987654321);
  ASSERT_EQ(setxattr((r + "/a/new").c_str(), "user.note", "v", 1, 0), 0);
  ASSERT_EQ(setxattr((r + "/a/new").c_str(), "security.capability",
                     "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00"
                     "\x00\x00\x00\x00\x00\x00\x00",
                     20, 0),
            0);
  ASSERT_EQ(link((r + "/a/new").c_str(), (r + "/a/hard").c_str()), 0);
  // Already in form but for an xattr: cleaned by name, never opened.
  ASSERT_TRUE(WriteFile(r + "/a/whole", "w").ok());
  SetTime(r + "/a/whole", 1500000000, 0);
  ASSERT_EQ(setxattr((r + "/a/whole").c_str(), "user.note", "v", 1, 0), 0);
  ASSERT_EQ(unlink((r + "/a/x").c_str()), 0);  // whiteout
  ASSERT_TRUE(RemoveAll(r + "/b").ok());       // b becomes opaque
  ASSERT_EQ(mkdir((r + "/b").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFile(r + "/b/fresh", "f").ok());
  ASSERT_EQ(unlink((r + "/gone").c_str()), 0);
  ASSERT_EQ(symlink("a/new", (r + "/ln").c_str()), 0);
  ASSERT_EQ(mkfifo((r + "/fifo").c_str(), 0640), 0);
  ASSERT_EQ(chown((r + "/a/keep").c_str(), 12, 34), 0);  // copy-up
  MakeSocket(r + "/a/sock");

  proto::LayerRef top = CommitAndCompare(std::move(ws), std::nullopt);
  std::string adopted = store_->LayerPath(*Digest::Parse(top.diff_id()));
  EXPECT_FALSE(PathExists(adopted + "/a/sock"));
  char value[8];
  EXPECT_LT(
      getxattr((adopted + "/a/new").c_str(), "user.note", value, sizeof(value)),
      0);
  EXPECT_LT(getxattr((adopted + "/a/whole").c_str(), "user.note", value,
                     sizeof(value)),
            0);
  EXPECT_EQ(getxattr((adopted + "/b").c_str(), "trusted.overlay.opaque", value,
                     sizeof(value)),
            1);

  // The adopted layer stacks like an unpacked one.
  std::unique_ptr<Workspace> next = *store_->Mount({base_, top});
  std::string n = next->rootfs();
  EXPECT_EQ(*ReadFile(n + "/a/new"), "new");
  EXPECT_FALSE(PathExists(n + "/a/x"));
  EXPECT_FALSE(PathExists(n + "/gone"));
  EXPECT_FALSE(PathExists(n + "/b/old"));
  EXPECT_EQ(*ReadFile(n + "/b/fresh"), "f");
  struct stat st;
  ASSERT_EQ(stat((n + "/a/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 0);
  EXPECT_EQ(st.st_nlink, 2u);
}

TEST_F(LayerFormTest, SourceDateEpochClampsMtimes) {
  std::unique_ptr<Workspace> ws = *store_->Mount({base_});
  ASSERT_TRUE(WriteFile(ws->rootfs() + "/late", "l").ok());
  SetTime(ws->rootfs() + "/late", 2000000000, 5);
  ASSERT_TRUE(WriteFile(ws->rootfs() + "/early", "e").ok());
  SetTime(ws->rootfs() + "/early", 100, 5);
  proto::LayerRef top = CommitAndCompare(std::move(ws), 1000);
  std::string adopted = store_->LayerPath(*Digest::Parse(top.diff_id()));
  struct stat st;
  ASSERT_EQ(lstat((adopted + "/late").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1000);
  ASSERT_EQ(lstat((adopted + "/early").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 100);
}

TEST_F(LayerFormTest, CommitOfAHeldLayerDiscardsTheUpperDir) {
  std::unique_ptr<Workspace> held = *store_->Mount({base_});
  ASSERT_TRUE(WriteFile(held->rootfs() + "/extra", "e").ok());
  std::string upper = held->upper();
  // Same diffID as a held layer: nothing is replaced.
  ASSERT_TRUE(held->Commit(*Digest::Parse(base_.diff_id())).ok());
  EXPECT_FALSE(PathExists(upper));
  EXPECT_FALSE(PathExists(store_->LayerPath(*Digest::Parse(base_.diff_id())) +
                          "/extra"));
  absl::Status again = held->Commit(*Digest::Parse(base_.diff_id()));
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LayerFormTest, CountsTheDiskUsageOnTheWay) {
  // As DiskUsage counts it: every inode once, a removed socket not at all.
  const std::string dir = tmp_ + "/usage";
  ASSERT_TRUE(MakeDirs(dir + "/sub").ok());
  ASSERT_TRUE(WriteFile(dir + "/big", std::string(100000, 'b')).ok());
  ASSERT_TRUE(WriteFile(dir + "/sub/small", "s").ok());
  ASSERT_EQ(link((dir + "/big").c_str(), (dir + "/sub/again").c_str()), 0);
  SetTime(dir + "/big", 1700000000, 5);
  MakeSocket(dir + "/sub/sock");
  absl::StatusOr<uint64_t> counted = ToLayerForm(dir, std::nullopt);
  ASSERT_TRUE(counted.ok()) << counted.status();
  absl::StatusOr<uint64_t> walked = DiskUsage(dir);
  ASSERT_TRUE(walked.ok()) << walked.status();
  EXPECT_EQ(*counted, *walked);
  EXPECT_GE(*counted, 100000u);
  EXPECT_LT(*counted, 2 * 100000u) << "the hard link counted twice";
}

TEST_F(LayerFormTest, ToLayerFormReportsAMissingDir) {
  absl::Status s = ToLayerForm(tmp_ + "/nope", std::nullopt).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("/nope"));
}

}  // namespace
}  // namespace farm::snapshot
