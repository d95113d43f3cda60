#include "cache/sharded/remote_sharded_cache.h"

#include "cache/remote/channel.h"
#include "cache/remote/remote_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "cache/remote/remote_cache_admin.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/sharded_action_cache.h"
#include "cache/sharded/sharded_blob_store.h"
#include "cache/sharded/sharded_cache_admin.h"
#include "common/status_macros.h"

namespace farm::cache {

struct RemoteShardedCache::Parts {
  std::vector<std::unique_ptr<RemoteBlobStore>> node_blobs;
  std::vector<std::unique_ptr<RemoteActionCache>> node_actions;
  std::vector<std::unique_ptr<RemoteCacheAdmin>> node_admins;
  std::unique_ptr<NodeHealth> health;
  std::unique_ptr<ShardedBlobStore> blobs;
  std::unique_ptr<ShardedActionCache> actions;
  std::unique_ptr<ShardedCacheAdmin> admin;
};

RemoteShardedCache::RemoteShardedCache(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)) {}

RemoteShardedCache::~RemoteShardedCache() = default;

absl::StatusOr<std::unique_ptr<RemoteShardedCache>> RemoteShardedCache::Dial(
    std::vector<CacheNode> nodes, const auth::ClientSecurity& security,
    Clock* clock) {
  RETURN_IF_ERROR(ValidateCacheNodes(nodes));
  auto parts = std::make_unique<Parts>();
  std::vector<BlobStore*> blobs;
  std::vector<ActionCache*> actions;
  std::vector<CacheAdmin*> admins;
  // A node asks the object store about each digest it lacks, one HEAD
  // each, so a batch must end within one call's deadline even when the
  // node holds none of it (a node back empty, a slow store).
  RemoteOptions options;
  options.find_missing_batch = 1000;
  for (const CacheNode& node : nodes) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                     DialCache(node.address, security));
    parts->node_blobs.push_back(
        std::make_unique<RemoteBlobStore>(channel, options));
    parts->node_actions.push_back(std::make_unique<RemoteActionCache>(channel));
    parts->node_admins.push_back(std::make_unique<RemoteCacheAdmin>(channel));
    blobs.push_back(parts->node_blobs.back().get());
    actions.push_back(parts->node_actions.back().get());
    admins.push_back(parts->node_admins.back().get());
  }
  parts->health = std::make_unique<NodeHealth>(nodes.size(), clock);
  ASSIGN_OR_RETURN(parts->blobs,
                   ShardedBlobStore::Create(nodes, blobs, parts->health.get()));
  ASSIGN_OR_RETURN(parts->actions, ShardedActionCache::Create(
                                       nodes, actions, parts->health.get()));
  ASSIGN_OR_RETURN(parts->admin, ShardedCacheAdmin::Create(
                                     nodes, admins, parts->health.get()));
  return std::unique_ptr<RemoteShardedCache>(
      new RemoteShardedCache(std::move(parts)));
}

BlobStore* RemoteShardedCache::blobs() { return parts_->blobs.get(); }
ActionCache* RemoteShardedCache::actions() { return parts_->actions.get(); }
CacheAdmin* RemoteShardedCache::admin() { return parts_->admin.get(); }

}  // namespace farm::cache
