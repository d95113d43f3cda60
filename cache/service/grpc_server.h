// Starts a gRPC server on an address, with the message limits the cache's
// batch calls need, and reports the port it bound ("127.0.0.1:0" picks one).
// Used by farm-cache, the tests and the benchmarks.
#ifndef FARM_CACHE_SERVICE_GRPC_SERVER_H_
#define FARM_CACHE_SERVICE_GRPC_SERVER_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace farm::cache {

struct RunningServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// The services are not owned and must outlive the server. kUnavailable if
// the address cannot be bound. Plaintext unless `credentials` say TLS
// (auth/tls/server_credentials.h). `interceptors` see every RPC (the
// metrics interceptor of --metrics-listen, metrics/).
absl::StatusOr<RunningServer> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors = {});

// Largest message either side accepts: a full batch plus headroom.
inline constexpr int kMaxMessageBytes = 64 << 20;

}  // namespace farm::cache

#endif  // FARM_CACHE_SERVICE_GRPC_SERVER_H_
