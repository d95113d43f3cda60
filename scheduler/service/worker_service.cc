#include "scheduler/service/worker_service.h"

#include <thread>

#include "common/logging.h"

namespace farm::scheduler {

grpc::Status WorkerService::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
        stream) {
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
  std::shared_ptr<WorkerOutbox> outbox = core_->WorkerJoined(first.register_());
  FARM_LOG(INFO) << "worker " << id << " joined with "
                 << first.register_().slots() << " slots";
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

grpc::Status WorkerService::ListWorkers(grpc::ServerContext*,
                                        const proto::ListWorkersRequest*,
                                        proto::ListWorkersResponse* response) {
  *response = core_->ListWorkers();
  return grpc::Status::OK;
}

grpc::Status WorkerService::Stats(grpc::ServerContext*,
                                  const proto::SchedulerStatsRequest*,
                                  proto::SchedulerStats* response) {
  *response = core_->Stats();
  return grpc::Status::OK;
}

}  // namespace farm::scheduler
