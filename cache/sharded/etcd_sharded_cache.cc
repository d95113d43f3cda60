#include "cache/sharded/etcd_sharded_cache.h"

#include <utility>
#include <vector>

#include "cache/sharded/remote_node_clients.h"
#include "common/logging.h"
#include "image/registry/curl_transport.h"

namespace farm::cache {

std::unique_ptr<EtcdShardedCache> EtcdShardedCache::Open(
    const EtcdCacheTarget& target, const auth::ClientSecurity& security,
    Clock* clock) {
  std::unique_ptr<EtcdShardedCache> c(new EtcdShardedCache);
  image::registry::CurlTransportOptions transport_options;
  transport_options.connect_timeout = absl::Seconds(2);
  transport_options.stall_timeout = absl::Seconds(10);
  c->transport_ =
      std::make_unique<image::registry::CurlTransport>(transport_options);
  etcd::EtcdClientOptions client_options;
  client_options.endpoints = target.endpoints;
  client_options.watch_round = absl::Seconds(2);
  c->client_ =
      std::make_unique<etcd::EtcdClient>(c->transport_.get(), client_options);
  const std::string key_prefix = CacheNodesKeyPrefix(target.prefix);
  c->cache_ = std::make_unique<DynamicShardedCache>(
      DialRemoteNode(security), clock, "under " + key_prefix + " in etcd");
  CacheMembershipWatchOptions watch_options;
  watch_options.prefix = target.prefix;
  watch_options.on_change =
      [cache = c->cache_.get()](std::vector<CacheNode> nodes) {
        absl::Status set = cache->SetNodes(std::move(nodes));
        if (!set.ok()) {
          FARM_LOG(WARNING) << "keeping the previous cache nodes: " << set;
        }
      };
  c->watch_ = CacheMembershipWatch::Start(c->client_.get(), watch_options);
  return c;
}

EtcdShardedCache::~EtcdShardedCache() { watch_.reset(); }

}  // namespace farm::cache
