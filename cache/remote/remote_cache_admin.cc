#include "cache/remote/remote_cache_admin.h"

#include <utility>

#include "cache/proto_convert.h"
#include "cache/remote/channel.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::cache {

RemoteCacheAdmin::RemoteCacheAdmin(std::shared_ptr<grpc::Channel> channel,
                                   RemoteOptions options)
    : stub_(proto::CacheService::NewStub(std::move(channel))),
      options_(options) {}

absl::StatusOr<CacheStats> RemoteCacheAdmin::Stats() {
  proto::CacheStats response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  RETURN_IF_ERROR(FromGrpcStatus(
      stub_->Stats(&context, proto::CacheStatsRequest(), &response)));
  return FromProto(response);
}

absl::StatusOr<PruneResult> RemoteCacheAdmin::Prune(
    const PruneOptions& options) {
  proto::PruneResponse response;
  grpc::ClientContext context;
  // Pruning compacts; give it longer than an ordinary call.
  SetTimeout(context, options_.timeout * 10);
  RETURN_IF_ERROR(
      FromGrpcStatus(stub_->Prune(&context, ToProto(options), &response)));
  return FromProto(response);
}

absl::Status RemoteCacheAdmin::SetPins(const std::string& owner,
                                       absl::flat_hash_set<Digest> digests) {
  proto::SetPinsRequest request;
  request.set_owner(owner);
  for (const Digest& digest : digests) request.add_digests(digest.ToString());
  proto::SetPinsResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  return FromGrpcStatus(stub_->SetPins(&context, request, &response));
}

absl::Status RemoteCacheAdmin::Delete(const std::vector<Digest>& digests) {
  proto::DeleteRequest request;
  for (const Digest& digest : digests) request.add_digests(digest.ToString());
  proto::DeleteResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  return FromGrpcStatus(stub_->Delete(&context, request, &response));
}

}  // namespace farm::cache
