// RemoteActionCache: an ActionCache served by a farm-cache over gRPC. The
// server checks layers, so a hit whose blob is gone arrives as kNotFound.
#ifndef FARM_CACHE_REMOTE_REMOTE_ACTION_CACHE_H_
#define FARM_CACHE_REMOTE_REMOTE_ACTION_CACHE_H_

#include <grpcpp/channel.h>

#include <memory>

#include "cache/action_cache.h"
#include "cache/remote/channel.h"
#include "proto/cache.grpc.pb.h"

namespace farm::cache {

// Thread-safe.
class RemoteActionCache : public ActionCache {
 public:
  RemoteActionCache(std::shared_ptr<grpc::Channel> channel,
                    RemoteOptions options);
  explicit RemoteActionCache(std::shared_ptr<grpc::Channel> channel)
      : RemoteActionCache(std::move(channel), RemoteOptions()) {}

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  // One BatchGetActionResults call; when it fails, every key gets its error.
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

 private:
  std::unique_ptr<proto::CacheService::Stub> stub_;
  RemoteOptions options_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_REMOTE_REMOTE_ACTION_CACHE_H_
