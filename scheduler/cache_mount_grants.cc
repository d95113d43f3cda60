#include "scheduler/cache_mount_grants.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

namespace farm::scheduler {

namespace {

// 128 random bits: a worker cannot guess another worker's grant.
std::string NewGrant() {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof(random)) != 1) abort();  // never predictable
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
}

}  // namespace

std::string CacheMountGrants::GrantFor(const std::string& worker_id,
                                       const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  std::string& grant = by_worker_[{worker_id, tenant}];
  if (grant.empty()) {
    grant = NewGrant();
    by_grant_[grant] = {worker_id, tenant};
  }
  return grant;
}

absl::StatusOr<std::string> CacheMountGrants::TenantOf(
    const std::string& grant) const {
  absl::MutexLock lock(&mu_);
  auto it = by_grant_.find(grant);
  if (grant.empty() || it == by_grant_.end()) {
    return absl::PermissionDeniedError(
        "no live cache mount grant: a worker reaches a tenant's cache mounts "
        "only with the grant of a job of that tenant, while it is connected");
  }
  return it->second.second;
}

void CacheMountGrants::Revoke(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto it = by_worker_.lower_bound({worker_id, ""});
  while (it != by_worker_.end() && it->first.first == worker_id) {
    by_grant_.erase(it->second);
    it = by_worker_.erase(it);
  }
}

}  // namespace farm::scheduler
