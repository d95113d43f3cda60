// CacheMountGrants: whose cache mounts a worker may read and advance. A
// worker gets a grant, an unguessable token, for a tenant with a job of that
// tenant that mounts a cache (StageJob.cache_mount_grant), and names it in
// every CacheMountService call instead of a tenant: so a worker acts only for
// tenants whose jobs it was given, and one tenant's pointers are never
// reached through another's grant. Grants lapse when their worker leaves.
#ifndef FARM_SCHEDULER_CACHE_MOUNT_GRANTS_H_
#define FARM_SCHEDULER_CACHE_MOUNT_GRANTS_H_

#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace farm::scheduler {

// Thread-safe.
class CacheMountGrants {
 public:
  // The grant of `worker_id` for `tenant`: made on first use, the same one
  // afterwards, until Revoke.
  std::string GrantFor(const std::string& worker_id, const std::string& tenant);
  // The tenant a live grant acts for; kPermissionDenied for any other token.
  absl::StatusOr<std::string> TenantOf(const std::string& grant) const;
  // Every grant of a worker that left.
  void Revoke(const std::string& worker_id);

 private:
  mutable absl::Mutex mu_;
  // (worker, tenant) → grant, and grant → (worker, tenant).
  std::map<std::pair<std::string, std::string>, std::string> by_worker_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>>
      by_grant_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_CACHE_MOUNT_GRANTS_H_
