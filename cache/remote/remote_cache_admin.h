// RemoteCacheAdmin: `farm cache stats|prune` against a farm-cache server.
#ifndef FARM_CACHE_REMOTE_REMOTE_CACHE_ADMIN_H_
#define FARM_CACHE_REMOTE_REMOTE_CACHE_ADMIN_H_

#include <grpcpp/channel.h>

#include <memory>

#include "cache/cache_admin.h"
#include "cache/remote/channel.h"
#include "proto/cache.grpc.pb.h"

namespace farm::cache {

// Thread-safe.
class RemoteCacheAdmin : public CacheAdmin {
 public:
  RemoteCacheAdmin(std::shared_ptr<grpc::Channel> channel,
                   RemoteOptions options);
  explicit RemoteCacheAdmin(std::shared_ptr<grpc::Channel> channel)
      : RemoteCacheAdmin(std::move(channel), RemoteOptions()) {}

  absl::StatusOr<CacheStats> Stats() override;
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override;
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override;
  absl::Status Delete(const std::vector<Digest>& digests) override;

 private:
  std::unique_ptr<proto::CacheService::Stub> stub_;
  RemoteOptions options_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_REMOTE_REMOTE_CACHE_ADMIN_H_
