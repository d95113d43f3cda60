#include "cache/remote/remote_action_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/proto_convert.h"
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

std::vector<absl::StatusOr<proto::ActionResult>> RemoteActionCache::GetMany(
    absl::Span<const Digest> keys) {
  proto::BatchGetActionResultsRequest request;
  for (const Digest& key : keys) request.add_keys(key.ToString());
  proto::BatchGetActionResultsResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  absl::Status status = FromGrpcStatus(
      stub_->BatchGetActionResults(&context, request, &response));
  if (status.ok() && response.entries_size() != request.keys_size()) {
    status = absl::InternalError(
        absl::StrCat("the cache answered ", response.entries_size(), " of ",
                     request.keys_size(), " action keys"));
  }
  std::vector<absl::StatusOr<proto::ActionResult>> results;
  results.reserve(keys.size());
  for (int i = 0; i < request.keys_size(); ++i) {
    if (!status.ok()) {
      results.push_back(status);
      continue;
    }
    proto::BatchGetActionResultsResponse::Entry& entry =
        *response.mutable_entries(i);
    absl::Status found = FromBlobStatus(entry.status());
    if (found.ok()) {
      results.push_back(std::move(*entry.mutable_result()));
    } else {
      results.push_back(found);
    }
  }
  return results;
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
