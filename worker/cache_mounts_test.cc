#include "worker/cache_mounts.h"

#include <sys/stat.h>

#include <thread>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace farm::worker
