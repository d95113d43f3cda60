#include "worker/cache_mounts.h"

#include <sys/stat.h>

#include <thread>

#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/cache_mount_testing.h"

namespace farm::worker {
namespace {

using ::testing::HasSubstr;

class CacheMountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("cache-mounts");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    mounts_ = std::make_unique<CacheMounts>(JoinPath(dir_, "mounts"));
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  static dockerfile::Mount Cache(const std::string& target,
                                 const std::string& sharing = "") {
    dockerfile::Mount mount;
    mount.type = "cache";
    mount.target = target;
    mount.sharing = sharing;
    return mount;
  }

  std::string dir_;
  std::unique_ptr<CacheMounts> mounts_;
  executor::Cancellation cancel_;
};

TEST_F(CacheMountsTest, SharedMountsUseOneDirectoryKeyedById) {
  dockerfile::Mount a = Cache("/root/.cache");
  absl::StatusOr<CacheMounts::Lease> first = mounts_->Acquire("t", a, cancel_);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<CacheMounts::Lease> second = mounts_->Acquire("t", a, cancel_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->path(), second->path());
  ASSERT_TRUE(WriteFile(JoinPath(first->path(), "f"), "kept").ok());

  dockerfile::Mount by_id = Cache("/elsewhere");
  by_id.id = "/root/.cache";
  absl::StatusOr<CacheMounts::Lease> same =
      mounts_->Acquire("t", by_id, cancel_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*ReadFile(JoinPath(same->path(), "f")), "kept");

  absl::StatusOr<CacheMounts::Lease> other =
      mounts_->Acquire("t", Cache("/other"), cancel_);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->path(), first->path());
}

TEST_F(CacheMountsTest, TenantsNeverShareADirectory) {
  dockerfile::Mount a = Cache("/root/.cache");
  absl::StatusOr<CacheMounts::Lease> mine =
      mounts_->Acquire("team-a", a, cancel_);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_TRUE(WriteFile(JoinPath(mine->path(), "f"), "a's").ok());
  absl::StatusOr<CacheMounts::Lease> theirs =
      mounts_->Acquire("team-b", a, cancel_);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE(mine->path(), theirs->path());
  EXPECT_FALSE(PathExists(JoinPath(theirs->path(), "f")));
}

TEST_F(CacheMountsTest, ModeAndOwnerOnCreation) {
  dockerfile::Mount mount = Cache("/c");
  mount.mode = 0700;
  mount.uid = 1000;
  mount.gid = 50;
  absl::StatusOr<CacheMounts::Lease> lease =
      mounts_->Acquire("t", mount, cancel_);
  ASSERT_TRUE(lease.ok());
  struct stat st;
  ASSERT_EQ(stat(lease->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 50u);
}

TEST_F(CacheMountsTest, PrivateGetsAFreshDirectoryWhileBusy) {
  absl::StatusOr<CacheMounts::Lease> first =
      mounts_->Acquire("t", Cache("/p", "private"), cancel_);
  ASSERT_TRUE(first.ok());
  std::string temporary;
  {
    absl::StatusOr<CacheMounts::Lease> second =
        mounts_->Acquire("t", Cache("/p", "private"), cancel_);
    ASSERT_TRUE(second.ok());
    EXPECT_NE(second->path(), first->path());
    temporary = second->path();
    EXPECT_TRUE(IsDirectory(temporary));
  }
  EXPECT_FALSE(PathExists(temporary));
}

TEST_F(CacheMountsTest, LockedWaitsForTheHolderOrCancellation) {
  absl::StatusOr<CacheMounts::Lease> holder =
      mounts_->Acquire("t", Cache("/l", "locked"), cancel_);
  ASSERT_TRUE(holder.ok());
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    absl::StatusOr<CacheMounts::Lease> lease =
        mounts_->Acquire("t", Cache("/l", "locked"), cancel_);
    EXPECT_TRUE(lease.ok());
    acquired = true;
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(acquired);
  *holder = CacheMounts::Lease();  // releases
  waiter.join();
  EXPECT_TRUE(acquired);

  absl::StatusOr<CacheMounts::Lease> again =
      mounts_->Acquire("t", Cache("/l", "locked"), cancel_);
  ASSERT_TRUE(again.ok());
  executor::Cancellation cancel;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(100));
    cancel.Cancel();
  });
  absl::StatusOr<CacheMounts::Lease> blocked =
      mounts_->Acquire("t", Cache("/l", "locked"), cancel);
  canceller.join();
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(CacheMountsTest, UnknownSharingIsInvalid) {
  absl::StatusOr<CacheMounts::Lease> lease =
      mounts_->Acquire("t", Cache("/x", "sometimes"), cancel_);
  EXPECT_EQ(lease.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(lease.status().message(), HasSubstr("sometimes"));
}

// Two workers' CacheMounts over one CAS and one set of pointers.
class SharedCacheMountsTest : public CacheMountsTest {
 protected:
  void SetUp() override {
    CacheMountsTest::SetUp();
    CacheMountSyncOptions options;
    options.scratch_dir = JoinPath(dir_, "scratch");
    sync_ = std::make_unique<CacheMountSync>(&pointers_, &blobs_, options);
    a_ = std::make_unique<CacheMounts>(JoinPath(dir_, "a"), sync_.get());
    b_ = std::make_unique<CacheMounts>(JoinPath(dir_, "b"), sync_.get());
  }

  testing::FakeCacheMountPointers pointers_;
  cache::MemoryBlobStore blobs_;
  std::unique_ptr<CacheMountSync> sync_;
  std::unique_ptr<CacheMounts> a_, b_;
};

TEST_F(SharedCacheMountsTest, AJobOnAnotherWorkerFindsTheCacheWarm) {
  {
    absl::StatusOr<CacheMounts::Lease> lease =
        a_->Acquire("t", Cache("/cache"), cancel_, "g");
    ASSERT_TRUE(lease.ok()) << lease.status();
    ASSERT_TRUE(WriteFile(JoinPath(lease->path(), "stamp"), "warm").ok());
  }
  a_->PublishIdle(cancel_);
  EXPECT_EQ(pointers_.advances(), 1);

  absl::StatusOr<CacheMounts::Lease> there =
      b_->Acquire("t", Cache("/cache"), cancel_, "g");
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_EQ(*ReadFile(JoinPath(there->path(), "stamp")), "warm");
  // Without a grant (a job from an older scheduler) nothing is shared.
  absl::StatusOr<CacheMounts::Lease> local =
      b_->Acquire("t", Cache("/other"), cancel_);
  ASSERT_TRUE(local.ok());
  const int gets = pointers_.gets();
  b_->PublishIdle(cancel_);
  EXPECT_EQ(pointers_.gets(), gets);
}

TEST_F(SharedCacheMountsTest, ADirectoryInUseIsLeftToItsJob) {
  absl::StatusOr<CacheMounts::Lease> held =
      a_->Acquire("t", Cache("/cache"), cancel_, "g");
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(WriteFile(JoinPath(held->path(), "stamp"), "x").ok());
  a_->PublishIdle(cancel_);  // another job ended meanwhile
  EXPECT_EQ(pointers_.advances(), 0);
  *held = CacheMounts::Lease();
  a_->PublishIdle(cancel_);
  EXPECT_EQ(pointers_.advances(), 1);
  a_->PublishIdle(cancel_);  // nothing used it since
  EXPECT_EQ(pointers_.advances(), 1);
}

TEST_F(SharedCacheMountsTest, OnlyTheFirstOfSharedUsersRestores) {
  absl::StatusOr<CacheMounts::Lease> first =
      a_->Acquire("t", Cache("/cache"), cancel_, "g");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<CacheMounts::Lease> second =
      a_->Acquire("t", Cache("/cache"), cancel_, "g");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->path(), second->path());
  EXPECT_EQ(pointers_.gets(), 1);
}

TEST_F(SharedCacheMountsTest, LockedStillWaitsWhileShared) {
  absl::StatusOr<CacheMounts::Lease> holder =
      a_->Acquire("t", Cache("/l", "locked"), cancel_, "g");
  ASSERT_TRUE(holder.ok());
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    absl::StatusOr<CacheMounts::Lease> lease =
        a_->Acquire("t", Cache("/l", "locked"), cancel_, "g");
    EXPECT_TRUE(lease.ok());
    acquired = true;
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(acquired);
  *holder = CacheMounts::Lease();
  waiter.join();
  EXPECT_TRUE(acquired);
}

}  // namespace
}  // namespace farm::worker
