// The snapshot store under pressure and among other users: a write that
// fails with ENOSPC (a small tmpfs) leaves no partial layer, a failed
// install leaves none either, a machine restart leaves no layer that might
// be torn, and what builds made (setuid programs, device nodes, secrets) is
// out of other local users' reach.
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "worker/snapshot/snapshot_store.h"
#include "worker/snapshot/snapshot_test_util.h"

namespace farm::snapshot {
namespace {

using testing::File;
using testing::MakeTar;
using testing::PutLayer;

mode_t Mode(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

std::vector<std::string> Names(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
  return names.ok() ? *names : std::vector<std::string>{"<unreadable>"};
}

class SnapshotSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override { tmp_ = *MakeTempDir("snapshot_safety"); }
  void TearDown() override {
    store_.reset();
    if (!tmpfs_.empty()) umount2(tmpfs_.c_str(), MNT_DETACH);
    ASSERT_TRUE(RemoveAll(tmp_).ok());
  }

  void OpenStore(const std::string& root) {
    store_.reset();
    root_ = root;
    SnapshotStoreOptions options;
    options.root = root;
    absl::StatusOr<std::unique_ptr<SnapshotStore>> store =
        SnapshotStore::Open(options, &blobs_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // A tmpfs of `size` under the test's dir.
  std::string SmallDisk(const std::string& size) {
    tmpfs_ = JoinPath(tmp_, "disk");
    EXPECT_TRUE(MakeDirs(tmpfs_).ok());
    EXPECT_EQ(mount("tmpfs", tmpfs_.c_str(), "tmpfs", 0,
                    absl::StrCat("size=", size).c_str()),
              0);
    return tmpfs_;
  }

  // Nothing half-made: no unpack or commit in progress, no workspace, and
  // only `layers` installed.
  void ExpectOnlyLayers(size_t layers) {
    EXPECT_EQ(Names(root_ + "/layers").size(), layers);
    EXPECT_EQ(Names(root_ + "/l").size(), layers);
    EXPECT_TRUE(Names(root_ + "/tmp").empty());
    EXPECT_TRUE(Names(root_ + "/work").empty());
    EXPECT_EQ(store_->Summary().diff_ids.size(), layers);
  }

  std::string tmp_, tmpfs_, root_;
  cache::MemoryBlobStore blobs_;
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(SnapshotSafetyTest, StoreDirectoriesArePrivateEvenWhenOldOnesWereNot) {
  const std::string root = JoinPath(tmp_, "snapshots");
  for (const char* sub : {"layers", "l", "tmp", "work", "empty"}) {
    ASSERT_TRUE(MakeDirs(JoinPath(root, sub), 0755).ok());
  }
  OpenStore(root);
  for (const char* sub : {"layers", "l", "tmp", "work", "empty"}) {
    EXPECT_EQ(Mode(JoinPath(root, sub)), 0700u) << sub;
  }
  store_.reset();
  const std::string fresh = JoinPath(tmp_, "fresh/snapshots");
  OpenStore(fresh);
  EXPECT_EQ(Mode(fresh), 0700u);
  EXPECT_EQ(Mode(JoinPath(fresh, "layers")), 0700u);
}

TEST_F(SnapshotSafetyTest, UnpackThatRunsOutOfSpaceLeavesNothing) {
  OpenStore(JoinPath(SmallDisk("4m"), "snapshots"));
  proto::LayerRef big =
      PutLayer(blobs_, MakeTar({File("big", std::string(8 << 20, 'x'))}));
  absl::StatusOr<std::unique_ptr<Workspace>> ws = store_->Mount({big});
  EXPECT_EQ(ws.status().code(), absl::StatusCode::kResourceExhausted)
      << ws.status();
  ExpectOnlyLayers(0);
  // The store goes on once there is room.
  proto::LayerRef small = PutLayer(blobs_, MakeTar({File("small", "s")}));
  ws = store_->Mount({small});
  ASSERT_TRUE(ws.ok()) << ws.status();
  ws->reset();
  ExpectOnlyLayers(1);
}

TEST_F(SnapshotSafetyTest, CommitThatRunsOutOfSpaceLeavesNothing) {
  const std::string disk = SmallDisk("4m");
  OpenStore(JoinPath(disk, "snapshots"));
  proto::LayerRef base = PutLayer(blobs_, MakeTar({File("base", "b")}));
  absl::StatusOr<std::unique_ptr<Workspace>> ws = store_->Mount({base});
  ASSERT_TRUE(ws.ok()) << ws.status();
  ASSERT_TRUE(
      WriteFile((*ws)->rootfs() + "/made", std::string(1 << 20, 'm')).ok());
  // Fill what is left of the disk.
  const std::string filler = JoinPath(disk, "filler");
  absl::Status filled;
  for (int i = 0; filled.ok() && i < 64; ++i) {
    filled = WriteFile(absl::StrCat(filler, i), std::string(256 << 10, 'f'));
  }
  ASSERT_EQ(filled.code(), absl::StatusCode::kResourceExhausted) << filled;
  const Digest layer = Digest::Of("the layer of the RUN");
  absl::Status committed = (*ws)->Commit(layer);
  EXPECT_EQ(committed.code(), absl::StatusCode::kResourceExhausted)
      << committed;
  EXPECT_FALSE(store_->Contains(layer));
  ExpectOnlyLayers(1);
  EXPECT_FALSE(PathExists(store_->LayerPath(layer)));

  // With room again the same commit succeeds.
  for (int i = 0; i < 64; ++i) unlink(absl::StrCat(filler, i).c_str());
  ws = store_->Mount({base});
  ASSERT_TRUE(ws.ok()) << ws.status();
  ASSERT_TRUE(WriteFile((*ws)->rootfs() + "/made", "m").ok());
  ASSERT_TRUE((*ws)->Commit(layer).ok());
  EXPECT_TRUE(store_->Contains(layer));
  ExpectOnlyLayers(2);
}

// Committed and unpacked layers are not synced to disk, so a store last
// opened before the machine restarted drops them.
TEST_F(SnapshotSafetyTest, AStoreOpenedAfterAMachineRestartStartsEmpty) {
  OpenStore(JoinPath(tmp_, "snapshots"));
  proto::LayerRef layer = PutLayer(blobs_, MakeTar({File("f", "x")}));
  ASSERT_TRUE(store_->Mount({layer}).ok());
  ExpectOnlyLayers(1);
  OpenStore(root_);  // the same boot: kept
  ExpectOnlyLayers(1);
  ASSERT_TRUE(WriteFile(root_ + "/boot_id", "an earlier boot").ok());
  OpenStore(root_);
  ExpectOnlyLayers(0);
  ASSERT_TRUE(store_->Mount({layer}).ok());  // unpacked again from the CAS
  ExpectOnlyLayers(1);
}

TEST_F(SnapshotSafetyTest, AnInstallThatCannotLinkLeavesNoLayer) {
  OpenStore(JoinPath(tmp_, "snapshots"));
  proto::LayerRef layer = PutLayer(blobs_, MakeTar({File("f", "f")}));
  const Digest diff_id = *Digest::Parse(layer.diff_id());
  // Something in the way of the layer's link: symlink(2) fails.
  const std::string blocker =
      JoinPath(root_ + "/l", diff_id.hex().substr(0, 12));
  ASSERT_TRUE(MakeDirs(JoinPath(blocker, "x")).ok());
  absl::StatusOr<std::unique_ptr<Workspace>> ws = store_->Mount({layer});
  EXPECT_FALSE(ws.ok());
  EXPECT_FALSE(PathExists(store_->LayerPath(diff_id)));
  EXPECT_TRUE(Names(root_ + "/layers").empty());
  EXPECT_TRUE(Names(root_ + "/tmp").empty());
  ASSERT_TRUE(RemoveAll(blocker).ok());
  ws = store_->Mount({layer});
  ASSERT_TRUE(ws.ok()) << ws.status();
}

// Runs `argv` as nobody; true when it succeeds. A shell running as nobody
// looks the program up: setpriv itself would still hold root's
// capabilities when it calls execve.
bool AsNobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(),
              {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
               "--", "/bin/sh", "-c", "exec \"$@\"", "sh"});
  absl::StatusOr<CommandResult> result = RunCommand(argv);
  return result.ok() && result->exit_code == 0;
}

TEST_F(SnapshotSafetyTest, OtherUsersCannotReachWhatBuildsMade) {
  // Under /tmp, not the test's private dir, and with the worker root and
  // the store's own dir open: only the store's directories protect.
  char base[] = "/tmp/farm-snapshot-users-XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  const std::string worker_root = base;
  OpenStore(JoinPath(worker_root, "snapshots"));
  ASSERT_EQ(chmod(worker_root.c_str(), 0755), 0);
  ASSERT_EQ(chmod(root_.c_str(), 0755), 0);

  proto::LayerRef base_layer = PutLayer(blobs_, MakeTar({File("base", "b")}));
  absl::StatusOr<std::unique_ptr<Workspace>> ws = store_->Mount({base_layer});
  ASSERT_TRUE(ws.ok()) << ws.status();
  const std::string rootfs = (*ws)->rootfs();
  // What a RUN makes: a readable secret, a setuid program, a device node.
  ASSERT_TRUE(WriteFile(rootfs + "/secret", "s3cret", 0644).ok());
  absl::StatusOr<std::string> id = ReadFile("/usr/bin/id");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(WriteFile(rootfs + "/suid-id", *id, 0755).ok());
  ASSERT_EQ(chmod((rootfs + "/suid-id").c_str(), 04755), 0);
  ASSERT_EQ(mknod((rootfs + "/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)),
            0);
  // While the step runs, in the mounted workspace...
  EXPECT_FALSE(AsNobody({"cat", rootfs + "/secret"}));
  EXPECT_FALSE(AsNobody({rootfs + "/suid-id"}));
  EXPECT_FALSE(AsNobody({"head", "-c", "1", rootfs + "/zero"}));
  // ...and once it is a layer.
  const Digest layer = Digest::Of("the RUN's layer");
  ASSERT_TRUE((*ws)->Commit(layer).ok());
  const std::string fs = store_->LayerPath(layer);
  ASSERT_TRUE(AsNobody({"true"}));
  EXPECT_FALSE(AsNobody({"cat", fs + "/secret"}));
  EXPECT_FALSE(AsNobody({fs + "/suid-id"}));
  EXPECT_FALSE(AsNobody({"head", "-c", "1", fs + "/zero"}));
  // The check can fail: with layers/ open, nobody gets in, and root's
  // powers with the setuid program.
  ASSERT_EQ(chmod((root_ + "/layers").c_str(), 0755), 0);
  EXPECT_TRUE(AsNobody({"cat", fs + "/secret"}));
  EXPECT_TRUE(AsNobody({fs + "/suid-id"}));
  ASSERT_EQ(chmod((root_ + "/layers").c_str(), 0700), 0);
  store_.reset();
  ASSERT_TRUE(RemoveAll(worker_root).ok());
}

}  // namespace
}  // namespace farm::snapshot
