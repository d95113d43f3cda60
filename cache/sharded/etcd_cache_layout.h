// How cache membership is kept in etcd: each live farm-cache holds one
// leased key PREFIX/cache-nodes/HOST:PORT whose value is its CacheNode as
// JSON, and a scheduler names the etcd cluster and prefix to watch with
// `--cache etcd://HOST:PORT[,HOST:PORT...][/PREFIX]`.
#ifndef FARM_CACHE_SHARDED_ETCD_CACHE_LAYOUT_H_
#define FARM_CACHE_SHARDED_ETCD_CACHE_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cache/sharded/cache_nodes.h"

namespace farm::cache {

inline constexpr absl::string_view kDefaultEtcdPrefix = "/farm";

// "/farm" → "/farm/cache-nodes/": where every node registers.
std::string CacheNodesKeyPrefix(absl::string_view prefix);

// {"address":"10.0.0.5:7800","weight":1}
std::string EncodeCacheNode(const CacheNode& node);
// kInvalidArgument for a value that is not such an object or whose node
// is not valid (cache_nodes.h).
absl::StatusOr<CacheNode> DecodeCacheNode(absl::string_view json);

struct EtcdCacheTarget {
  std::vector<std::string> endpoints;  // "http://HOST:PORT"
  std::string prefix = std::string(kDefaultEtcdPrefix);
};

// True when `flag` is a `--cache etcd://...` value rather than a list.
bool IsEtcdCacheTarget(absl::string_view flag);
// "etcd://a:2379,b:2379/team" → {http://a:2379, http://b:2379}, "/team".
// No path keeps kDefaultEtcdPrefix. kInvalidArgument without an endpoint.
absl::StatusOr<EtcdCacheTarget> ParseEtcdCacheTarget(absl::string_view flag);

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_ETCD_CACHE_LAYOUT_H_
