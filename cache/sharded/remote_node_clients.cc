#include "cache/sharded/remote_node_clients.h"

#include <memory>
#include <utility>

#include "cache/remote/channel.h"
#include "cache/remote/remote_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "cache/remote/remote_cache_admin.h"
#include "common/status_macros.h"

namespace farm::cache {
namespace {

class RemoteNodeClients : public NodeClients {
 public:
  explicit RemoteNodeClients(std::shared_ptr<grpc::Channel> channel)
      : blobs_(channel, Options()), actions_(channel), admin_(channel) {}

  BlobStore* blobs() override { return &blobs_; }
  ActionCache* actions() override { return &actions_; }
  CacheAdmin* admin() override { return &admin_; }

 private:
  // As RemoteShardedCache: a node answers each digest it lacks with a HEAD
  // to the bucket, so a batch must end within one call's deadline.
  static RemoteOptions Options() {
    RemoteOptions options;
    options.find_missing_batch = 1000;
    return options;
  }

  RemoteBlobStore blobs_;
  RemoteActionCache actions_;
  RemoteCacheAdmin admin_;
};

}  // namespace

DialNode DialRemoteNode(const auth::ClientSecurity& security) {
  return [security](const CacheNode& node)
             -> absl::StatusOr<std::shared_ptr<NodeClients>> {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                     DialCache(node.address, security));
    return std::make_shared<RemoteNodeClients>(std::move(channel));
  };
}

}  // namespace farm::cache
