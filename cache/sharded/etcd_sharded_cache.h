// EtcdShardedCache: what a scheduler opens for `--cache etcd://...`: the
// cache nodes registered in etcd (NodeRegistration), followed as they
// come and go, behind one sharded BlobStore, ActionCache and CacheAdmin.
#ifndef FARM_CACHE_SHARDED_ETCD_SHARDED_CACHE_H_
#define FARM_CACHE_SHARDED_ETCD_SHARDED_CACHE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "auth/tls/channel.h"
#include "cache/sharded/cache_membership_watch.h"
#include "cache/sharded/dynamic_sharded_cache.h"
#include "cache/sharded/etcd_cache_layout.h"
#include "common/clock.h"
#include "common/etcd/etcd_client.h"
#include "image/registry/http.h"

namespace farm::cache {

class EtcdShardedCache {
 public:
  // Reads the membership once (an etcd that does not answer yet is
  // logged; calls fail with kUnavailable until a node is seen), then
  // follows it. Nodes are dialled lazily with `security`. `clock` is the
  // nodes' health clock and must outlive this object.
  static std::unique_ptr<EtcdShardedCache> Open(
      const EtcdCacheTarget& target, const auth::ClientSecurity& security,
      Clock* clock);
  // Stops following before the stores go.
  ~EtcdShardedCache();

  BlobStore* blobs() { return cache_->blobs(); }
  ActionCache* actions() { return cache_->actions(); }
  CacheAdmin* admin() { return cache_->admin(); }
  DynamicShardedCache& dynamic() { return *cache_; }

 private:
  EtcdShardedCache() = default;

  std::unique_ptr<image::registry::HttpTransport> transport_;
  std::unique_ptr<etcd::EtcdClient> client_;
  std::unique_ptr<DynamicShardedCache> cache_;
  std::unique_ptr<CacheMembershipWatch> watch_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_ETCD_SHARDED_CACHE_H_
