#include "worker/cache_mount_pointer_client.h"

#include <grpcpp/client_context.h>

#include <chrono>

#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::worker {

namespace {

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(timeout));
}

}  // namespace

GrpcCacheMountPointerClient::GrpcCacheMountPointerClient(
    std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(proto::CacheMountService::NewStub(std::move(channel))),
      timeout_(timeout) {}

absl::StatusOr<Generation> GrpcCacheMountPointerClient::Get(
    const std::string& grant, const std::string& id) {
  proto::GetCacheMountRequest request;
  request.set_grant(grant);
  request.set_id(id);
  proto::GetCacheMountResponse response;
  grpc::ClientContext context;
  SetDeadline(context, timeout_);
  RETURN_IF_ERROR(
      FromGrpcStatus(stub_->GetCacheMount(&context, request, &response)));
  Generation generation;
  generation.size = response.generation().size_bytes();
  if (!response.generation().digest().empty()) {
    ASSIGN_OR_RETURN(generation.digest,
                     Digest::Parse(response.generation().digest()));
  }
  return generation;
}

absl::Status GrpcCacheMountPointerClient::Advance(const std::string& grant,
                                                  const std::string& id,
                                                  const Digest& from,
                                                  const Generation& to) {
  proto::AdvanceCacheMountRequest request;
  request.set_grant(grant);
  request.set_id(id);
  if (!from.empty()) request.set_from_digest(from.ToString());
  request.mutable_to()->set_digest(to.digest.ToString());
  request.mutable_to()->set_size_bytes(to.size);
  proto::AdvanceCacheMountResponse response;
  grpc::ClientContext context;
  SetDeadline(context, timeout_);
  return FromGrpcStatus(stub_->AdvanceCacheMount(&context, request, &response));
}

}  // namespace farm::worker
