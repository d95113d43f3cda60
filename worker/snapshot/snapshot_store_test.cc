#include "worker/snapshot/snapshot_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/snapshot/overlay_mount.h"
#include "worker/snapshot/snapshot_test_util.h"

namespace farm::snapshot {
namespace {

using testing::CountingBlobStore;
using testing::Dir;
using ::testing::ElementsAre;
using testing::File;
using ::testing::HasSubstr;
using testing::MakeTar;
using testing::Marker;
using testing::PutLayer;
using testing::Symlink;

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  return data.ok() ? *data : "<" + std::string(data.status().message()) + ">";
}

class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = *MakeTempDir("snapshot_store");
    root_ = tmp_ + "/snapshots";
  }
  void TearDown() override {
    store_.reset();
    ASSERT_TRUE(RemoveAll(tmp_).ok());
  }

  void OpenStore(uint64_t max_bytes = 0) {
    store_.reset();
    SnapshotStoreOptions options;
    options.root = root_;
    options.max_bytes = max_bytes;
    absl::StatusOr<std::unique_ptr<SnapshotStore>> store =
        SnapshotStore::Open(options, &counting_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::unique_ptr<Workspace> MustMount(
      const std::vector<proto::LayerRef>& chain) {
    absl::StatusOr<std::unique_ptr<Workspace>> ws = store_->Mount(chain);
    EXPECT_TRUE(ws.ok()) << ws.status();
    return ws.ok() ? *std::move(ws) : nullptr;
  }

  // A layer holding one `size`-byte file named `name`.
  proto::LayerRef Sized(const std::string& name, size_t size) {
    return PutLayer(blobs_, MakeTar({File(name, std::string(size, 'x'))}));
  }

  Digest DiffId(const proto::LayerRef& ref) {
    return *Digest::Parse(ref.diff_id());
  }

  std::string tmp_, root_;
  cache::MemoryBlobStore blobs_;
  CountingBlobStore counting_{&blobs_, absl::ZeroDuration()};
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(SnapshotStoreTest, StacksLayersWithWhiteoutsAndOpaqueDirs) {
  OpenStore();
  proto::LayerRef l1 = PutLayer(
      blobs_, MakeTar({Dir("a"), File("a/x", "x1"), File("a/y", "y1"), Dir("b"),
                       File("b/old", "old"), File("c.txt", "c1")}));
  proto::LayerRef l2 = PutLayer(
      blobs_,
      MakeTar({Dir("a"), Marker("a/.wh.x"), Dir("b"), Marker("b/.wh..wh..opq"),
               File("b/new", "new"), File("d.txt", "d2")}));
  proto::LayerRef l3 =
      PutLayer(blobs_, MakeTar({File("c.txt", "c3"), Symlink("e", "/c.txt")}));
  std::unique_ptr<Workspace> ws = MustMount({l1, l2, l3});
  ASSERT_NE(ws, nullptr);
  const std::string& r = ws->rootfs();
  EXPECT_FALSE(PathExists(r + "/a/x"));
  EXPECT_EQ(Read(r + "/a/y"), "y1");
  EXPECT_THAT(*ListDir(r + "/b"), ElementsAre("new"));
  EXPECT_EQ(Read(r + "/c.txt"), "c3");
  EXPECT_EQ(Read(r + "/d.txt"), "d2");
  char target[64] = {};
  ASSERT_GT(readlink((r + "/e").c_str(), target, sizeof(target)), 0);
  EXPECT_STREQ(target, "/c.txt");
  EXPECT_THAT(ws->layers(), ElementsAre(DiffId(l1), DiffId(l2), DiffId(l3)));

  // Changes land in the upper dir only.
  ASSERT_TRUE(WriteFile(r + "/a/z", "z").ok());
  ASSERT_EQ(unlink((r + "/a/y").c_str()), 0);
  EXPECT_EQ(Read(ws->upper() + "/a/z"), "z");
  struct stat st;
  ASSERT_EQ(lstat((ws->upper() + "/a/y").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(Read(store_->LayerPath(DiffId(l1)) + "/a/y"), "y1");

  std::string merged = ws->rootfs();
  ASSERT_TRUE(ws->Release().ok());
  EXPECT_FALSE(IsMountPoint(merged));
  EXPECT_FALSE(PathExists(merged));
  EXPECT_EQ(store_->Summary().diff_ids.size(), 3u);
}

TEST_F(SnapshotStoreTest, EmptyChainIsAnEmptyRootfs) {
  OpenStore();
  std::unique_ptr<Workspace> ws = MustMount({});
  ASSERT_NE(ws, nullptr);
  EXPECT_TRUE(ListDir(ws->rootfs())->empty());
  ASSERT_TRUE(WriteFile(ws->rootfs() + "/new", "n").ok());
  EXPECT_EQ(Read(ws->upper() + "/new"), "n");
  EXPECT_TRUE(ListDir(root_ + "/empty")->empty());
}

TEST_F(SnapshotStoreTest, ConcurrentMountsUnpackEachLayerOnce) {
  CountingBlobStore slow(&blobs_, absl::Milliseconds(100));
  SnapshotStoreOptions options;
  options.root = root_;
  std::unique_ptr<SnapshotStore> store = *SnapshotStore::Open(options, &slow);
  std::vector<proto::LayerRef> chain = {Sized("one", 10), Sized("two", 20),
                                        Sized("three", 30)};
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<Workspace>> spaces(kThreads);
  std::vector<absl::Status> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<std::unique_ptr<Workspace>> ws = store->Mount(chain);
      if (ws.ok()) {
        spaces[i] = *std::move(ws);
      } else {
        errors[i] = ws.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(errors[i].ok()) << errors[i];
    EXPECT_EQ(Read(spaces[i]->rootfs() + "/two"), std::string(20, 'x'));
  }
  for (const proto::LayerRef& ref : chain) {
    EXPECT_EQ(slow.Gets(ref.digest()), 1) << ref.digest();
  }
  spaces.clear();
  store.reset();
}

TEST_F(SnapshotStoreTest, EvictsUnusedLayersLeastRecentlyUsedFirst) {
  proto::LayerRef a = Sized("a", 64 << 10), b = Sized("b", 64 << 10),
                  c = Sized("c", 64 << 10), d = Sized("d", 64 << 10);
  // Measure one layer, then allow a little over two of them.
  OpenStore();
  MustMount({a}).reset();
  uint64_t one = store_->Summary().bytes;
  ASSERT_GT(one, 64u << 10);
  store_.reset();
  ASSERT_TRUE(RemoveAll(root_).ok());
  OpenStore(2 * one + one / 2);

  MustMount({a}).reset();
  MustMount({b}).reset();
  std::unique_ptr<Workspace> holds_c = MustMount({c});
  // a, b, c are 3 layers: a is the least recently used and goes.
  EXPECT_FALSE(store_->Contains(DiffId(a)));
  EXPECT_TRUE(store_->Contains(DiffId(b)));
  EXPECT_TRUE(store_->Contains(DiffId(c)));
  EXPECT_FALSE(PathExists(store_->LayerPath(DiffId(a))));
  holds_c.reset();

  MustMount({b}).reset();  // b is now more recent than c
  MustMount({d}).reset();
  EXPECT_TRUE(store_->Contains(DiffId(b)));
  EXPECT_FALSE(store_->Contains(DiffId(c)));
  EXPECT_TRUE(store_->Contains(DiffId(d)));
  StoreSummary summary = store_->Summary();
  EXPECT_EQ(summary.bytes, 2 * one);
  std::vector<std::string> expected = {b.diff_id(), d.diff_id()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(summary.diff_ids, expected);
  EXPECT_EQ(ListDir(root_ + "/l")->size(), 2u);

  // An evicted layer comes back from the CAS when needed again.
  std::unique_ptr<Workspace> again = MustMount({a});
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Read(again->rootfs() + "/a").size(), 64u << 10);
  EXPECT_EQ(counting_.Gets(a.digest()), 3);  // measuring, first, again
}

TEST_F(SnapshotStoreTest, ReferencedLayersAreNeverEvicted) {
  OpenStore(/*max_bytes=*/1);
  proto::LayerRef a = Sized("a", 1000), b = Sized("b", 1000);
  std::unique_ptr<Workspace> ws = MustMount({a, b});
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(store_->Summary().diff_ids.size(), 2u);
  EXPECT_EQ(Read(ws->rootfs() + "/a").size(), 1000u);
  ws.reset();
  EXPECT_TRUE(store_->Summary().diff_ids.empty());
  EXPECT_EQ(store_->Summary().bytes, 0u);
  EXPECT_TRUE(ListDir(root_ + "/layers")->empty());
}

TEST_F(SnapshotStoreTest, RecoversFromACrash) {
  OpenStore();
  proto::LayerRef a = Sized("a", 100);
  MustMount({a}).reset();
  store_.reset();

  // What a crash leaves: a mounted workspace, a half unpack, a stray link,
  // and a layer whose metadata never got written.
  std::string ws = root_ + "/work/77";
  for (const char* sub : {"/upper", "/work", "/merged"}) {
    ASSERT_TRUE(MakeDirs(ws + sub).ok());
  }
  OverlaySpec spec{{"empty"}, "work/77/upper", "work/77/work"};
  ASSERT_TRUE(MountOverlay(root_, spec, ws + "/merged").ok());
  ASSERT_TRUE(IsMountPoint(ws + "/merged"));
  ASSERT_TRUE(MakeDirs(root_ + "/tmp/unpack-3/fs").ok());
  ASSERT_TRUE(WriteFile(root_ + "/tmp/unpack-3/fs/half", "h").ok());
  ASSERT_EQ(symlink("../layers/nothing/fs", (root_ + "/l/stray").c_str()), 0);
  std::string broken = root_ + "/layers/" + std::string(64, 'b');
  ASSERT_TRUE(MakeDirs(broken + "/fs").ok());

  OpenStore();
  EXPECT_FALSE(IsMountPoint(ws + "/merged"));
  EXPECT_TRUE(ListDir(root_ + "/work")->empty());
  EXPECT_TRUE(ListDir(root_ + "/tmp")->empty());
  EXPECT_FALSE(PathExists(broken));
  EXPECT_THAT(store_->Summary().diff_ids, ElementsAre(a.diff_id()));
  EXPECT_EQ(ListDir(root_ + "/l")->size(), 1u);
  std::unique_ptr<Workspace> again = MustMount({a});
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Read(again->rootfs() + "/a").size(), 100u);
  EXPECT_EQ(counting_.Gets(a.digest()), 1);  // kept across the restart
}

TEST_F(SnapshotStoreTest, MountsAChainOf120Layers) {
  OpenStore();
  std::vector<proto::LayerRef> chain;
  for (int i = 0; i < 120; ++i) {
    chain.push_back(
        PutLayer(blobs_, MakeTar({File(absl::StrCat("f", i), absl::StrCat(i)),
                                  File("top", absl::StrCat(i))})));
  }
  std::unique_ptr<Workspace> ws = MustMount(chain);
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(Read(ws->rootfs() + "/top"), "119");
  EXPECT_EQ(Read(ws->rootfs() + "/f0"), "0");
  EXPECT_EQ(Read(ws->rootfs() + "/f77"), "77");
  EXPECT_EQ(ListDir(ws->rootfs())->size(), 121u);
}

TEST_F(SnapshotStoreTest, RepeatedLayerKeepsItsTopMostPlace) {
  OpenStore();
  proto::LayerRef x = PutLayer(blobs_, MakeTar({File("f", "x")}));
  proto::LayerRef y = PutLayer(blobs_, MakeTar({File("f", "y")}));
  std::unique_ptr<Workspace> ws = MustMount({x, y, x});
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(Read(ws->rootfs() + "/f"), "x");
  EXPECT_THAT(ws->layers(), ElementsAre(DiffId(y), DiffId(x)));
}

TEST_F(SnapshotStoreTest, WrongDiffIdIsDataLossAndLeavesNothing) {
  OpenStore();
  proto::LayerRef ref = Sized("a", 10);
  proto::LayerRef good = Sized("b", 10);
  ref.set_diff_id(Digest::Of("something else").ToString());
  absl::StatusOr<std::unique_ptr<Workspace>> ws = store_->Mount({good, ref});
  EXPECT_EQ(ws.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(ws.status().message(), HasSubstr(ref.digest()));
  EXPECT_THAT(ws.status().message(), HasSubstr("unpacks to diff_id"));
  EXPECT_TRUE(ListDir(root_ + "/tmp")->empty());
  EXPECT_TRUE(ListDir(root_ + "/work")->empty());
  EXPECT_FALSE(store_->Contains(*Digest::Parse(ref.diff_id())));

  proto::LayerRef missing = ref;
  missing.set_digest(Digest::Of("not stored").ToString());
  EXPECT_EQ(store_->Mount({missing}).status().code(),
            absl::StatusCode::kNotFound);
  missing.set_diff_id("sha256:nope");
  ws = store_->Mount({missing});
  EXPECT_EQ(ws.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ws.status().message(), HasSubstr("bad diff_id"));
}

}  // namespace
}  // namespace farm::snapshot
