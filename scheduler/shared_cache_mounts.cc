#include "scheduler/shared_cache_mounts.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::scheduler {

absl::StatusOr<CacheMountKey> SharedCacheMounts::KeyOf(
    const std::string& grant, const std::string& id) const {
  if (id.empty() || id.size() > kMaxCacheMountIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("a cache mount id has 1 to ",
                                                   kMaxCacheMountIdBytes,
                                                   " bytes, not ", id.size()));
  }
  ASSIGN_OR_RETURN(std::string tenant, grants_->TenantOf(grant));
  return CacheMountKey{std::move(tenant), id};
}

absl::StatusOr<MountGeneration> SharedCacheMounts::Get(const std::string& grant,
                                                       const std::string& id) {
  ASSIGN_OR_RETURN(CacheMountKey key, KeyOf(grant, id));
  return pointers_->Get(key);
}

absl::Status SharedCacheMounts::Advance(const std::string& grant,
                                        const std::string& id,
                                        const Digest& from,
                                        const MountGeneration& to) {
  ASSIGN_OR_RETURN(CacheMountKey key, KeyOf(grant, id));
  if (to.digest.empty()) {
    return absl::InvalidArgumentError("a new generation needs a digest");
  }
  absl::StatusOr<cache::BlobInfo> stored = blobs_->Stat(to.digest);
  if (!stored.ok() || stored->size != static_cast<uint64_t>(to.size_bytes)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "generation ", to.digest.ToString(), " of cache mount ", id,
        " is not in the cache with ", to.size_bytes, " bytes",
        stored.ok() ? "" : absl::StrCat(": ", stored.status().message())));
  }
  RETURN_IF_ERROR(pointers_->CompareAndSwap(key, from, to));
  // The pointer moved either way; the scheduler's ticker pins again later.
  if (absl::Status pinned = PinAll(); !pinned.ok()) {
    FARM_LOG(WARNING) << "pinning the cache mounts' generations: " << pinned;
  }
  return absl::OkStatus();
}

absl::Status SharedCacheMounts::PinAll() {
  absl::MutexLock lock(&pin_mu_);
  ASSIGN_OR_RETURN(std::vector<Digest> pointed, pointers_->Pointed());
  return pin_(absl::flat_hash_set<Digest>(pointed.begin(), pointed.end()));
}

}  // namespace farm::scheduler
