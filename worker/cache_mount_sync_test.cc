// CacheMountSync between two "workers" (two directories) over one CAS and
// the pointers in memory: restore, publish, the compare-and-swap rule, the
// size cap, and generations that cannot be restored.
#include "worker/cache_mount_sync.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "image/tar/tar_writer.h"
#include "worker/cache_mount_testing.h"

namespace farm::worker {
namespace {

constexpr char kGrant[] = "grant-a";

class CacheMountSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    top_ = *MakeTempDir("mount-sync");
    a_ = {kGrant, "npm", JoinPath(top_, "a/npm")};
    b_ = {kGrant, "npm", JoinPath(top_, "b/npm")};
    ASSERT_TRUE(MakeDirs(a_.dir).ok());
    ASSERT_TRUE(MakeDirs(b_.dir).ok());
    sync_ = MakeSync(uint64_t{1} << 20);
  }
  void TearDown() override { RemoveAll(top_).IgnoreError(); }

  std::unique_ptr<CacheMountSync> MakeSync(uint64_t max_bytes) {
    CacheMountSyncOptions options;
    options.max_bytes = max_bytes;
    options.scratch_dir = JoinPath(top_, "scratch");
    return std::make_unique<CacheMountSync>(&pointers_, &blobs_, options);
  }

  void Put(const MountRef& mount, const std::string& name,
           const std::string& data) {
    ASSERT_TRUE(WriteFile(JoinPath(mount.dir, name), data).ok());
  }
  std::string Read(const MountRef& mount, const std::string& name) {
    return ReadFile(JoinPath(mount.dir, name)).value_or("(missing)");
  }
  MountBase Publish(const MountRef& mount, const MountBase& base) {
    absl::StatusOr<MountBase> next = sync_->Publish(mount, base);
    EXPECT_TRUE(next.ok()) << next.status();
    return next.value_or(base);
  }
  MountBase Restore(const MountRef& mount, const MountBase& base) {
    absl::StatusOr<MountBase> next = sync_->Restore(mount, base);
    EXPECT_TRUE(next.ok()) << next.status();
    return next.value_or(base);
  }

  std::string top_;
  MountRef a_, b_;
  testing::FakeCacheMountPointers pointers_;
  cache::MemoryBlobStore blobs_;
  std::unique_ptr<CacheMountSync> sync_;
};

TEST_F(CacheMountSyncTest, AnotherWorkerRestoresWhatOnePublished) {
  MountBase a = Restore(a_, {});
  EXPECT_TRUE(a.generation.empty());
  Put(a_, "stamp", "first build");
  a = Publish(a_, a);
  ASSERT_FALSE(a.generation.empty());
  EXPECT_EQ(pointers_.At(kGrant, "npm").digest, a.generation);
  EXPECT_TRUE(blobs_.Stat(a.generation).ok());
  // What the directory descends from is kept beside it.
  absl::StatusOr<MountBase> saved = LoadMountBase(a_.dir);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->generation, a.generation);
  EXPECT_EQ(saved->fingerprint, a.fingerprint);

  ASSERT_EQ(chmod(b_.dir.c_str(), 0750), 0);
  Put(b_, "leftover", "b's own");
  MountBase b = Restore(b_, {});
  EXPECT_EQ(b.generation, a.generation);
  EXPECT_EQ(Read(b_, "stamp"), "first build");
  EXPECT_EQ(Read(b_, "leftover"), "(missing)");
  struct stat st;
  ASSERT_EQ(stat(b_.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // the directory's own mode stays
  EXPECT_FALSE(PathExists(b_.dir + ".restoring"));
}

TEST_F(CacheMountSyncTest, AnUnchangedDirectoryIsNotUploadedAgain) {
  Put(a_, "stamp", "x");
  MountBase a = Publish(a_, Restore(a_, {}));
  EXPECT_EQ(pointers_.advances(), 1);
  EXPECT_EQ(Publish(a_, a).generation, a.generation);
  EXPECT_EQ(pointers_.advances(), 1);
  // A directory that holds the newest generation is not fetched again.
  EXPECT_EQ(Restore(a_, a).generation, a.generation);
  Put(a_, "stamp", "y");
  MountBase next = Publish(a_, a);
  EXPECT_NE(next.generation, a.generation);
  EXPECT_EQ(pointers_.advances(), 2);
}

TEST_F(CacheMountSyncTest, ANewEmptyMountPublishesNothing) {
  MountBase a = Publish(a_, Restore(a_, {}));
  EXPECT_TRUE(a.generation.empty());
  EXPECT_EQ(pointers_.advances(), 0);
}

TEST_F(CacheMountSyncTest, AMountOverTheCapStaysOnItsWorker) {
  sync_ = MakeSync(/*max_bytes=*/10);
  Put(a_, "big", std::string(100, 'b'));
  MountBase a = Publish(a_, Restore(a_, {}));
  EXPECT_TRUE(a.generation.empty());
  EXPECT_EQ(pointers_.advances(), 0);
  EXPECT_EQ(Read(a_, "big"), std::string(100, 'b'));
}

TEST_F(CacheMountSyncTest, TheSecondPublisherFromOneGenerationIsDropped) {
  Put(a_, "stamp", "g1");
  MountBase g1 = Publish(a_, Restore(a_, {}));
  MountBase a = Restore(a_, g1);
  MountBase b = Restore(b_, {});
  ASSERT_EQ(b.generation, g1.generation);

  Put(a_, "stamp", "a's g2");
  a = Publish(a_, a);
  Put(b_, "stamp", "b's g2");
  MountBase b_after = Publish(b_, b);
  EXPECT_EQ(pointers_.At(kGrant, "npm").digest, a.generation);
  // b keeps its copy but knows it is behind: its next use takes a's.
  EXPECT_EQ(b_after.generation, g1.generation);
  EXPECT_EQ(Publish(b_, b_after).generation, g1.generation);
  EXPECT_EQ(pointers_.advances(), 3);  // no second try of the same bytes
  MountBase b_next = Restore(b_, b_after);
  EXPECT_EQ(b_next.generation, a.generation);
  EXPECT_EQ(Read(b_, "stamp"), "a's g2");
}

TEST_F(CacheMountSyncTest, AGenerationGoneFromTheCacheIsReplaced) {
  pointers_.Set(kGrant, "npm", {Digest::Of("evicted"), 7});
  Put(b_, "stamp", "b's");
  MountBase b = Restore(b_, {});
  EXPECT_EQ(b.generation, Digest::Of("evicted"));
  EXPECT_EQ(Read(b_, "stamp"), "b's");
  b = Publish(b_, b);
  EXPECT_EQ(pointers_.At(kGrant, "npm").digest, b.generation);
  EXPECT_NE(b.generation, Digest::Of("evicted"));
}

TEST_F(CacheMountSyncTest, AHostileGenerationIsNotRestored) {
  std::string tar;
  StringWriter sink(&tar);
  image::tar::TarWriter writer(&sink);
  image::tar::TarEntry entry;
  entry.name = "../../planted";
  entry.size = 4;
  ASSERT_TRUE(writer.WriteHeader(entry).ok());
  ASSERT_TRUE(writer.WriteData("evil").ok());
  ASSERT_TRUE(writer.Finish().ok());
  ASSERT_TRUE(cache::PutBlob(blobs_, tar).ok());
  pointers_.Set(kGrant, "npm",
                {Digest::Of(tar), static_cast<int64_t>(tar.size())});
  Put(b_, "stamp", "b's");
  MountBase b = Restore(b_, {});
  EXPECT_EQ(b.generation, Digest::Of(tar));
  EXPECT_EQ(Read(b_, "stamp"), "b's");
  EXPECT_FALSE(PathExists(JoinPath(top_, "planted")));
  EXPECT_FALSE(PathExists(b_.dir + ".restoring"));
}

TEST_F(CacheMountSyncTest, AnUnreachableSchedulerChangesNothing) {
  Put(a_, "stamp", "x");
  pointers_.FailWith(absl::UnavailableError("scheduler gone"));
  absl::StatusOr<MountBase> restored = sync_->Restore(a_, {});
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<MountBase> published = sync_->Publish(a_, {});
  EXPECT_EQ(published.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Read(a_, "stamp"), "x");
  absl::StatusOr<MountBase> saved = LoadMountBase(a_.dir);
  ASSERT_TRUE(saved.ok());
  EXPECT_TRUE(saved->generation.empty());
}

}  // namespace
}  // namespace farm::worker
