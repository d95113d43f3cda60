// RemoteShardedCache: the clients of several farm-cache nodes, one channel
// each, behind the sharded BlobStore, ActionCache and CacheAdmin. What a
// scheduler opens for `--cache ADDR1,ADDR2,...`.
#ifndef FARM_CACHE_SHARDED_REMOTE_SHARDED_CACHE_H_
#define FARM_CACHE_SHARDED_REMOTE_SHARDED_CACHE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/tls/channel.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/sharded/cache_nodes.h"
#include "common/clock.h"

namespace farm::cache {

class RemoteShardedCache {
 public:
  // Dials every node lazily (no node needs to be up). Errors: the node
  // list's (kInvalidArgument), an unreadable TLS file.
  static absl::StatusOr<std::unique_ptr<RemoteShardedCache>> Dial(
      std::vector<CacheNode> nodes, const auth::ClientSecurity& security,
      Clock* clock);
  ~RemoteShardedCache();

  BlobStore* blobs();
  ActionCache* actions();
  CacheAdmin* admin();

 private:
  struct Parts;
  explicit RemoteShardedCache(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_REMOTE_SHARDED_CACHE_H_
