#include "cache/remote/remote_action_cache.h"

#include <utility>

#include "cache/remote/channel.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::cache {

RemoteActionCache::RemoteActionCache(std::shared_ptr<grpc::Channel> channel,
                                     RemoteOptions options)
    : stub_(proto::CacheService::NewStub(std::move(channel))),
      options_(options) {}

absl::StatusOr<proto::ActionResult> RemoteActionCache::Get(const Digest& key) {
  proto::GetActionResultRequest request;
  request.set_key(key.ToString());
  proto::ActionResult result;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  RETURN_IF_ERROR(
      FromGrpcStatus(stub_->GetActionResult(&context, request, &result)));
  return result;
}

absl::Status RemoteActionCache::Update(const Digest& key,
                                       const proto::ActionResult& result) {
  proto::UpdateActionResultRequest request;
  request.set_key(key.ToString());
  *request.mutable_result() = result;
  proto::UpdateActionResultResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  return FromGrpcStatus(
      stub_->UpdateActionResult(&context, request, &response));
}

}  // namespace farm::cache
