// NodeClients: the blob store, action cache and admin of one cache node,
// held together so that a changing membership can hand the same clients
// (and so the same channel) to every snapshot that lists the node.
#ifndef FARM_CACHE_SHARDED_NODE_CLIENTS_H_
#define FARM_CACHE_SHARDED_NODE_CLIENTS_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/sharded/cache_nodes.h"

namespace farm::cache {

// The three are thread-safe, as their interfaces require, and live as long
// as this object.
class NodeClients {
 public:
  virtual ~NodeClients() = default;
  virtual BlobStore* blobs() = 0;
  virtual ActionCache* actions() = 0;
  virtual CacheAdmin* admin() = 0;
};

// Makes the clients of a node that joins. Must not block on the node
// (it may not be up yet); errors are configuration errors (a TLS file).
using DialNode = std::function<absl::StatusOr<std::shared_ptr<NodeClients>>(
    const CacheNode& node)>;

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_NODE_CLIENTS_H_
