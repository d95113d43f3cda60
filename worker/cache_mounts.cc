#include "worker/cache_mounts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::worker {

CacheMounts::Lease& CacheMounts::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Release(*this);
    owner_ = other.owner_;
    key_ = std::move(other.key_);
    path_ = std::move(other.path_);
    exclusive_ = other.exclusive_;
    temporary_ = other.temporary_;
    other.owner_ = nullptr;
  }
  return *this;
}

CacheMounts::Lease::~Lease() {
  if (owner_ != nullptr) owner_->Release(*this);
}

absl::StatusOr<std::string> CacheMounts::MakeDir(
    const std::string& path, const dockerfile::Mount& mount) {
  if (IsDirectory(path)) return path;
  RETURN_IF_ERROR(MakeDirs(root_, 0700));
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, absl::StrCat("creating cache mount ", path));
  }
  if (chown(path.c_str(), mount.uid.value_or(0), mount.gid.value_or(0)) != 0 ||
      chmod(path.c_str(), mount.mode.value_or(0755) & 07777) != 0) {
    return ErrnoStatus(errno, absl::StrCat("setting up cache mount ", path));
  }
  return path;
}

absl::StatusOr<CacheMounts::Lease> CacheMounts::Acquire(
    const std::string& tenant, const dockerfile::Mount& mount,
    const executor::Cancellation& cancel, const std::string& grant) {
  const std::string id = mount.id.empty() ? mount.target : mount.id;
  const std::string sharing = mount.sharing.empty() ? "shared" : mount.sharing;
  if (sharing != "shared" && sharing != "private" && sharing != "locked") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown cache mount sharing mode \"", sharing, "\""));
  }
  Lease lease;
  // The tenant is part of the key: one tenant never sees another's cache.
  lease.key_ = Digest::Of(absl::StrCat(tenant.size(), ":", tenant, id))
                   .hex()
                   .substr(0, 32);
  std::string path = JoinPath(root_, lease.key_);
  bool restore = false;
  {
    absl::MutexLock lock(&mu_);
    Use& use = uses_[lease.key_];
    // A locked mount waits for every other user, a shared one for the
    // exclusive user only; a private one never waits.
    auto can_start = [&use, &sharing] {
      return !use.exclusive && (sharing != "locked" || use.shared == 0);
    };
    if (sharing != "private") {
      while (!can_start()) {
        if (cancel.IsCancelled()) return absl::CancelledError("cancelled");
        mu_.AwaitWithTimeout(absl::Condition(&can_start),
                             absl::Milliseconds(100));
      }
    }
    const bool idle = use.shared == 0 && !use.exclusive;
    if (sharing == "private" && !idle) {
      lease.temporary_ = true;
      path = JoinPath(root_,
                      absl::StrCat("tmp-", getpid(), "-", next_temporary_++));
    } else {
      // The first user brings the directory up to date, alone; a shared
      // user joins the others once that is done.
      restore = sync_ != nullptr && !grant.empty() && idle;
      if (sharing == "shared" && !restore) {
        ++use.shared;
      } else {
        use.exclusive = true;
        lease.exclusive_ = true;
      }
      use.id = id;
      if (!grant.empty()) use.grant = grant;
      use.touched = true;
    }
  }
  lease.owner_ = this;
  lease.path_ = path;
  ASSIGN_OR_RETURN(lease.path_, MakeDir(path, mount));
  if (restore) Restore(lease, /*then_share=*/sharing == "shared");
  return lease;
}

MountBase CacheMounts::BaseOf(const std::string& key, Use& use) {
  if (!use.base.has_value()) {
    absl::StatusOr<MountBase> loaded = LoadMountBase(JoinPath(root_, key));
    if (!loaded.ok()) {
      FARM_LOG(WARNING) << "cache mount " << use.id << ": " << loaded.status()
                        << "; taking it as new";
    }
    use.base = loaded.value_or(MountBase());
  }
  return *use.base;
}

void CacheMounts::Restore(Lease& lease, bool then_share) {
  MountRef ref;
  MountBase base;
  {
    absl::MutexLock lock(&mu_);
    Use& use = uses_[lease.key_];
    ref = MountRef{use.grant, use.id, lease.path_};
    base = BaseOf(lease.key_, use);
  }
  absl::StatusOr<MountBase> restored = sync_->Restore(ref, base);
  if (!restored.ok()) {
    FARM_LOG(WARNING) << "cache mount " << ref.id
                      << ": using this worker's copy, the newest generation "
                         "could not be fetched: "
                      << restored.status();
  }
  absl::MutexLock lock(&mu_);
  Use& use = uses_[lease.key_];
  if (restored.ok()) use.base = *restored;
  if (then_share) {
    use.exclusive = false;
    ++use.shared;
    lease.exclusive_ = false;
  }
}

void CacheMounts::PublishIdle(const executor::Cancellation& cancel) {
  if (sync_ == nullptr) return;
  std::vector<std::string> keys;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, use] : uses_) {
      if (use.touched && !use.grant.empty()) keys.push_back(key);
    }
  }
  for (const std::string& key : keys) {
    if (cancel.IsCancelled()) return;
    PublishOne(key);
  }
}

void CacheMounts::PublishOne(const std::string& key) {
  MountRef ref;
  MountBase base;
  {
    absl::MutexLock lock(&mu_);
    Use& use = uses_[key];
    // A RUN holds it: its job publishes when it ends.
    if (use.shared > 0 || use.exclusive || !use.touched) return;
    use.exclusive = true;
    use.touched = false;
    ref = MountRef{use.grant, use.id, JoinPath(root_, key)};
    base = BaseOf(key, use);
  }
  absl::StatusOr<MountBase> published = sync_->Publish(ref, base);
  if (!published.ok()) {
    FARM_LOG(WARNING) << "cache mount " << ref.id
                      << ": publishing failed, trying again after the next "
                         "job: "
                      << published.status();
  }
  absl::MutexLock lock(&mu_);
  Use& use = uses_[key];
  use.exclusive = false;
  if (published.ok()) {
    use.base = *published;
  } else {
    use.touched = true;
  }
}

void CacheMounts::Release(const Lease& lease) {
  if (lease.temporary_) {
    if (absl::Status status = RemoveAll(lease.path_); !status.ok()) {
      FARM_LOG(WARNING) << "removing " << lease.path_ << ": " << status;
    }
    return;
  }
  absl::MutexLock lock(&mu_);
  Use& use = uses_[lease.key_];
  if (lease.exclusive_) {
    use.exclusive = false;
  } else if (use.shared > 0) {
    --use.shared;
  }
}

}  // namespace farm::worker
