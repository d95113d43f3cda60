// CacheNode: one farm-cache of a sharded cache and its share of the digests,
// as the --cache flag lists them: "host:port[=WEIGHT],host:port[=WEIGHT]".
#ifndef FARM_CACHE_SHARDED_CACHE_NODES_H_
#define FARM_CACHE_SHARDED_CACHE_NODES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::cache {

struct CacheNode {
  // Also the node's identity in the ranking (see rendezvous.h), so it must
  // be spelled the same way by every client.
  std::string address;
  // A node of weight 2 gets twice the digests of a node of weight 1.
  double weight = 1.0;
};

// Parses a comma-separated list; one address alone is a list of one.
// Surrounding spaces are ignored. kInvalidArgument naming the entry: an
// empty entry or address, an address listed twice, a weight that is not a
// positive finite number.
absl::StatusOr<std::vector<CacheNode>> ParseCacheNodes(absl::string_view list);

// The same checks on a list built in code, plus kInvalidArgument when it is
// empty.
absl::Status ValidateCacheNodes(const std::vector<CacheNode>& nodes);

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_CACHE_NODES_H_
