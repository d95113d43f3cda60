// ActionCache: maps an instruction's cache key (see ARCHITECTURE.md, "Cache
// keys") to what running it produced, so a build can skip work it has
// already done anywhere in the fleet.
#ifndef FARM_CACHE_ACTION_CACHE_H_
#define FARM_CACHE_ACTION_CACHE_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/digest.h"
#include "proto/cache.pb.h"

namespace farm::cache {

// Implementations are thread-safe.
class ActionCache {
 public:
  virtual ~ActionCache() = default;

  // The stored result for `key`; kNotFound on a miss.
  virtual absl::StatusOr<proto::ActionResult> Get(const Digest& key) = 0;

  // The results for several keys, one per key in order: a hit, kNotFound,
  // or another error. This default calls Get for each key; a store that
  // answers a batch at once (one MultiGet, one RPC) overrides it.
  virtual std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys);

  // Stores (or replaces) the result for `key`. kInvalidArgument if the
  // result names a malformed layer digest; a decorator may refuse results
  // whose layer is not stored (kFailedPrecondition).
  virtual absl::Status Update(const Digest& key,
                              const proto::ActionResult& result) = 0;
};

// Checks that a result is well formed: a layer, if any, has parseable
// digests, and empty_layer and layer are not both set.
absl::Status ValidateActionResult(const proto::ActionResult& result);

// True when `result` names a layer blob that `is_stored` says is gone (or a
// layer digest that does not parse); what Prune drops.
bool LayerIsGone(const proto::ActionResult& result,
                 const std::function<bool(const Digest&)>& is_stored);

}  // namespace farm::cache

#endif  // FARM_CACHE_ACTION_CACHE_H_
