// CacheMountService: the gRPC face of SharedCacheMounts, for workers. The
// caller must hold the worker role; the grant in each request then decides
// whose cache mounts it reaches.
#ifndef FARM_SCHEDULER_SERVICE_CACHE_MOUNT_SERVICE_H_
#define FARM_SCHEDULER_SERVICE_CACHE_MOUNT_SERVICE_H_

#include "auth/authenticator.h"
#include "proto/worker.grpc.pb.h"
#include "scheduler/shared_cache_mounts.h"

namespace farm::scheduler {

class CacheMountService final : public proto::CacheMountService::Service {
 public:
  // Neither is owned.
  CacheMountService(SharedCacheMounts* mounts,
                    const auth::Authenticator* authenticator)
      : mounts_(mounts), authenticator_(authenticator) {}

  grpc::Status GetCacheMount(grpc::ServerContext* context,
                             const proto::GetCacheMountRequest* request,
                             proto::GetCacheMountResponse* response) override;
  grpc::Status AdvanceCacheMount(
      grpc::ServerContext* context,
      const proto::AdvanceCacheMountRequest* request,
      proto::AdvanceCacheMountResponse* response) override;

 private:
  SharedCacheMounts* mounts_;
  const auth::Authenticator* authenticator_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SERVICE_CACHE_MOUNT_SERVICE_H_
