#include "health/health_service.h"

namespace farm::health {

namespace {

using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus StatusOf(Phase phase) {
  return phase == Phase::kServing ? HealthCheckResponse::SERVING
                                  : HealthCheckResponse::NOT_SERVING;
}

}  // namespace

grpc::Status HealthService::Check(
    grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  if (!Knows(request->service())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no service \"" + request->service() + "\" here");
  }
  response->set_status(StatusOf(state_->phase()));
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(
    grpc::ServerContext* context,
    const grpc::health::v1::HealthCheckRequest* request,
    grpc::ServerWriter<HealthCheckResponse>* writer) {
  HealthCheckResponse response;
  if (!Knows(request->service())) {
    // The protocol keeps the stream open: the service may appear later.
    // farm's services are fixed at start, so one answer is the last.
    response.set_status(HealthCheckResponse::SERVICE_UNKNOWN);
    writer->Write(response);
    return grpc::Status::OK;
  }
  Phase phase = state_->phase();
  response.set_status(StatusOf(phase));
  if (!writer->Write(response)) return grpc::Status::OK;
  while (!context->IsCancelled()) {
    Phase now = state_->AwaitChange(phase, absl::Now() + watch_poll_);
    // Starting and draining both read NOT_SERVING: no change to send.
    if (StatusOf(now) != StatusOf(phase)) {
      response.set_status(StatusOf(now));
      if (!writer->Write(response)) break;
    }
    phase = now;
  }
  return grpc::Status::OK;
}

}  // namespace farm::health
