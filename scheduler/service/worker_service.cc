#include "scheduler/service/worker_service.h"

#include <thread>

#include "auth/service/call_identity.h"
#include "common/grpc_status.h"
#include "common/logging.h"

namespace farm::scheduler {

grpc::Status WorkerService::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
        stream) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(*context, *authenticator_, auth::Permission::kWork);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  proto::WorkerMessage first;
  if (!stream->Read(&first) || !first.has_register_()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a worker must register first");
  }
  const std::string id = first.register_().worker_id();
  if (id.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a worker needs an id");
  }
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> joined =
      core_->WorkerJoined(first.register_());
  if (!joined.ok()) {
    FARM_LOG(WARNING) << "refused worker " << id << " (" << caller->source
                      << "): " << joined.status().message();
    return ToGrpcStatus(joined.status());
  }
  std::shared_ptr<WorkerOutbox> outbox = *std::move(joined);
  FARM_LOG(INFO) << "worker " << id << " joined with "
                 << first.register_().slots() << " slots (" << caller->source
                 << ")";
  std::thread writer([&] {
    while (std::optional<proto::SchedulerMessage> message = outbox->Pop()) {
      if (!stream->Write(*message)) break;
    }
    // The worker was dropped (or its stream broke): end the call.
    context->TryCancel();
  });
  proto::WorkerMessage message;
  while (stream->Read(&message)) core_->FromWorker(id, message);
  core_->WorkerLost(id, "its connection closed", outbox.get());
  outbox->Close();
  writer.join();
  FARM_LOG(INFO) << "worker " << id << " left";
  return grpc::Status::OK;
}

grpc::Status WorkerService::ListWorkers(grpc::ServerContext* context,
                                        const proto::ListWorkersRequest*,
                                        proto::ListWorkersResponse* response) {
  absl::StatusOr<auth::Identity> caller = auth::AuthorizeCall(
      *context, *authenticator_, auth::Permission::kAdminister);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  *response = core_->ListWorkers();
  return grpc::Status::OK;
}

grpc::Status WorkerService::Stats(grpc::ServerContext* context,
                                  const proto::SchedulerStatsRequest*,
                                  proto::SchedulerStats* response) {
  absl::StatusOr<auth::Identity> caller = auth::AuthorizeCall(
      *context, *authenticator_, auth::Permission::kAdminister);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  *response = core_->Stats();
  return grpc::Status::OK;
}

grpc::Status WorkerService::DrainWorker(
    grpc::ServerContext* context, const proto::DrainWorkerRequest* request,
    proto::DrainWorkerResponse*) {
  absl::StatusOr<auth::Identity> caller = auth::AuthorizeCall(
      *context, *authenticator_, auth::Permission::kAdminister);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  FARM_LOG(INFO) << "draining worker " << request->worker_id() << " ("
                 << caller->source << ")";
  return ToGrpcStatus(core_->DrainWorker(request->worker_id()));
}

}  // namespace farm::scheduler
