// HealthService: the standard grpc.health.v1.Health over a ServingState,
// registered on every farm server's main port and served alone on its
// plaintext --health-listen port (the kubelet's gRPC probes speak no TLS
// and send no token, so the service asks for neither; it tells nothing but
// ready or not).
#ifndef FARM_HEALTH_HEALTH_SERVICE_H_
#define FARM_HEALTH_HEALTH_SERVICE_H_

#include <set>
#include <string>

#include "absl/time/time.h"
#include "health/serving_state.h"
#include "proto/health.grpc.pb.h"

namespace farm::health {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // Answers for the server as a whole ("") and for each name in `services`
  // (full gRPC service names, e.g. "farm.proto.BuildService"), all with
  // the state's status. `state` is not owned.
  HealthService(const ServingState* state, std::set<std::string> services,
                absl::Duration watch_poll = absl::Seconds(1))
      : state_(state),
        services_(std::move(services)),
        watch_poll_(watch_poll) {}

  // NOT_FOUND for a service name it does not know, as the protocol says.
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  // The status now, then each change, until the caller cancels or the
  // server shuts down; SERVICE_UNKNOWN for an unknown name.
  grpc::Status Watch(
      grpc::ServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request,
      grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer)
      override;

 private:
  bool Knows(const std::string& service) const {
    return service.empty() || services_.count(service) > 0;
  }

  const ServingState* state_;
  const std::set<std::string> services_;
  // How often a Watch looks whether its caller went away.
  const absl::Duration watch_poll_;
};

}  // namespace farm::health

#endif  // FARM_HEALTH_HEALTH_SERVICE_H_
