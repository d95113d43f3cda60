// CacheAdmin: the operator's view of a cache (`farm cache stats|prune`),
// kept apart from BlobStore and ActionCache, which builds use.
#ifndef FARM_CACHE_CACHE_ADMIN_H_
#define FARM_CACHE_CACHE_ADMIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/digest.h"

namespace farm::cache {

// Counters since the store was opened, except the first three and
// action_entries, which describe what is stored now.
struct CacheStats {
  uint64_t blob_count = 0;
  uint64_t blob_bytes = 0;
  uint64_t max_bytes = 0;  // 0: no budget
  uint64_t blob_hits = 0;  // Get of a stored blob
  uint64_t blob_misses = 0;
  uint64_t evictions = 0;  // blobs removed by the budget or by Prune
  uint64_t evicted_bytes = 0;
  uint64_t corrupt_blobs =
      0;  // blobs that failed their digest and were removed
  uint64_t action_entries = 0;
  uint64_t action_hits = 0;
  uint64_t action_misses = 0;
  uint64_t action_conflicts = 0;  // see WriteOnceActionCache
  // Bytes of committed uploads (one of a blob already stored included), and
  // bytes streamed to readers.
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
};

struct PruneOptions {
  // Evict least-recently-used blobs until at most this many bytes remain.
  uint64_t target_bytes = 0;
  // Blobs that must stay whatever the target (e.g. layers of tagged images).
  absl::flat_hash_set<Digest> keep;
};

struct PruneResult {
  uint64_t blobs_removed = 0;
  uint64_t bytes_removed = 0;
  uint64_t actions_removed = 0;  // entries whose layer blob was gone
};

// Implementations are thread-safe.
class CacheAdmin {
 public:
  virtual ~CacheAdmin() = default;
  virtual absl::StatusOr<CacheStats> Stats() = 0;
  // Evicts as PruneOptions says, then drops action-cache entries whose layer
  // blob is no longer stored.
  virtual absl::StatusOr<PruneResult> Prune(const PruneOptions& options) = 0;
  // Replaces the blobs `owner` (one scheduler's image store) pins: neither
  // the byte budget nor Prune removes a blob that any owner pins. Pins
  // outlive a restart of the cache and lapse when their owner has not
  // renewed them for a day; an empty set drops the owner.
  virtual absl::Status SetPins(const std::string& owner,
                               absl::flat_hash_set<Digest> digests) = 0;
  // Deletes the blobs (those not stored are skipped). A blob that an owner
  // pins, or that a stored image needs, is refused with kFailedPrecondition
  // naming it, and then nothing is deleted.
  virtual absl::Status Delete(const std::vector<Digest>& digests) = 0;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_CACHE_ADMIN_H_
