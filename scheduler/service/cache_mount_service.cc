#include "scheduler/service/cache_mount_service.h"

#include "auth/service/call_identity.h"
#include "common/grpc_status.h"

namespace farm::scheduler {

grpc::Status CacheMountService::GetCacheMount(
    grpc::ServerContext* context, const proto::GetCacheMountRequest* request,
    proto::GetCacheMountResponse* response) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(*context, *authenticator_, auth::Permission::kWork);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<MountGeneration> generation =
      mounts_->Get(request->grant(), request->id());
  if (!generation.ok()) return ToGrpcStatus(generation.status());
  if (!generation->digest.empty()) {
    response->mutable_generation()->set_digest(generation->digest.ToString());
    response->mutable_generation()->set_size_bytes(generation->size_bytes);
  }
  return grpc::Status::OK;
}

grpc::Status CacheMountService::AdvanceCacheMount(
    grpc::ServerContext* context,
    const proto::AdvanceCacheMountRequest* request,
    proto::AdvanceCacheMountResponse*) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(*context, *authenticator_, auth::Permission::kWork);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  Digest from;
  if (!request->from_digest().empty()) {
    absl::StatusOr<Digest> parsed = Digest::Parse(request->from_digest());
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    from = *parsed;
  }
  absl::StatusOr<Digest> to = Digest::Parse(request->to().digest());
  if (!to.ok()) return ToGrpcStatus(to.status());
  return ToGrpcStatus(mounts_->Advance(request->grant(), request->id(), from,
                                       {*to, request->to().size_bytes()}));
}

}  // namespace farm::scheduler
