// SharedCacheMounts: the scheduler's side of cache mounts that outlive their
// worker. A worker reads the newest generation of a mount before a RUN uses
// it and, after a job changed it, advances the pointer to the generation it
// uploaded, acting for the tenant its grant names (CacheMountGrants). The
// blobs pointed at are pinned in the cache, so its budget never evicts them;
// a generation that lost its pointer is left to the budget.
#ifndef FARM_SCHEDULER_SHARED_CACHE_MOUNTS_H_
#define FARM_SCHEDULER_SHARED_CACHE_MOUNTS_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "scheduler/cache_mount_grants.h"
#include "scheduler/cache_mount_pointers.h"

namespace farm::scheduler {

// Thread-safe.
class SharedCacheMounts {
 public:
  // Replaces the set of blobs the cache keeps for cache mounts.
  using PinFn = std::function<absl::Status(absl::flat_hash_set<Digest>)>;

  // Nothing is owned; all must outlive this.
  SharedCacheMounts(const CacheMountGrants* grants,
                    CacheMountPointers* pointers, cache::BlobStore* blobs,
                    PinFn pin)
      : grants_(grants), pointers_(pointers), blobs_(blobs), pin_(pin) {}

  // The newest generation of the grant's tenant's mount `id` (empty digest:
  // none yet). kPermissionDenied for a grant that is not live,
  // kInvalidArgument for an empty or oversized id.
  absl::StatusOr<MountGeneration> Get(const std::string& grant,
                                      const std::string& id);
  // Moves the pointer from `from` (empty: none) to `to`, whose blob must be
  // in the CAS with that size (kFailedPrecondition otherwise), then pins
  // it (a failure to pin is logged; the pointer moved). kAborted when the
  // pointer no longer names `from`: another worker advanced it first and this
  // generation is dropped. Get's errors too.
  absl::Status Advance(const std::string& grant, const std::string& id,
                       const Digest& from, const MountGeneration& to);
  // Pins every generation pointed at, replacing the pins made before; the
  // pins lapse unless renewed (cache/pin_registry.h), so call it now and
  // then as well.
  absl::Status PinAll();

 private:
  absl::StatusOr<CacheMountKey> KeyOf(const std::string& grant,
                                      const std::string& id) const;

  const CacheMountGrants* grants_;
  CacheMountPointers* pointers_;
  cache::BlobStore* blobs_;
  PinFn pin_;
  // Orders PinAll's read of the pointers with its SetPins, so an older set
  // never replaces a newer one.
  absl::Mutex pin_mu_;
};

// Longest id a cache mount may have.
inline constexpr size_t kMaxCacheMountIdBytes = 4096;

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SHARED_CACHE_MOUNTS_H_
