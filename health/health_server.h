// The --health-listen port: a plaintext gRPC server with the health
// service and nothing else. It may listen on any address, 0.0.0.0 too,
// without --insecure: it runs no farm call and reveals only ready or not.
#ifndef FARM_HEALTH_HEALTH_SERVER_H_
#define FARM_HEALTH_HEALTH_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "health/health_service.h"

namespace farm::health {

class HealthServer {
 public:
  // Listens on `address` ("HOST:0" picks a port); null for "" (no health
  // port asked for). kUnavailable when the address cannot be bound.
  // `state` is not owned and must outlive the server.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(
      const std::string& address, const ServingState* state);
  ~HealthServer();

  int port() const { return port_; }

 private:
  explicit HealthServer(const ServingState* state);

  HealthService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace farm::health

#endif  // FARM_HEALTH_HEALTH_SERVER_H_
