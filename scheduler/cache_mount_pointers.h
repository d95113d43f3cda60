// CacheMountPointers: for each tenant's cache mount (RUN --mount=type=cache),
// the newest generation the workers share: a CAS blob holding the tar of the
// mount's directory. The scheduler keeps them behind this interface so that
// the file under its root can later give way to etcd (a compare-and-swap is
// one etcd transaction) without the callers noticing.
#ifndef FARM_SCHEDULER_CACHE_MOUNT_POINTERS_H_
#define FARM_SCHEDULER_CACHE_MOUNT_POINTERS_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "common/digest.h"

namespace farm::scheduler {

// One tenant's cache mount, by its id (the mount's target when it has none).
struct CacheMountKey {
  std::string tenant;
  std::string id;
  friend bool operator<(const CacheMountKey& a, const CacheMountKey& b) {
    return std::tie(a.tenant, a.id) < std::tie(b.tenant, b.id);
  }
};

struct MountGeneration {
  Digest digest;  // empty: no generation yet
  int64_t size_bytes = 0;
};

// Implementations are thread-safe, and durable once a call returns OK.
class CacheMountPointers {
 public:
  virtual ~CacheMountPointers() = default;

  // The generation `key` points at; an empty one when there is none.
  virtual absl::StatusOr<MountGeneration> Get(const CacheMountKey& key) = 0;

  // Points `key` at `next` if it still points at `expected` (an empty digest:
  // at nothing). Otherwise kAborted, naming the generation it points at, and
  // nothing changes; except that a pointer already at `next` is OK, so that
  // a write retried after a lost answer does not fail.
  virtual absl::Status CompareAndSwap(const CacheMountKey& key,
                                      const Digest& expected,
                                      const MountGeneration& next) = 0;

  // Every generation pointed at (the blobs the cache must keep).
  virtual absl::StatusOr<std::vector<Digest>> Pointed() = 0;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_CACHE_MOUNT_POINTERS_H_
