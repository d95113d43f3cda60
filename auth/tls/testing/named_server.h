// A real gRPC server on 127.0.0.1 or [::1], on a port the test chooses,
// whose WhoAmI call answers with the server's name (in `tenant`): failover
// tests see which of several servers a channel reached.
#ifndef FARM_AUTH_TLS_TESTING_NAMED_SERVER_H_
#define FARM_AUTH_TLS_TESTING_NAMED_SERVER_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/service/testing/whoami.grpc.pb.h"

namespace farm::auth::testing {

class NamedServer {
 public:
  // Listens on `host` ("127.0.0.1" or "[::1]") at `port` (0: a free one),
  // alone: no other socket may share the port. kUnavailable if it cannot.
  static absl::StatusOr<std::unique_ptr<NamedServer>> Start(
      const std::string& name, const std::string& host, int port,
      std::shared_ptr<grpc::ServerCredentials> credentials);
  // Stops listening and drops every connection.
  ~NamedServer();

  int port() const { return port_; }

 private:
  class Service;
  NamedServer() = default;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// A port of `host` that nothing listens on now: one a server had, and gave
// up. kUnavailable if no server could start.
absl::StatusOr<int> UnusedPort(const std::string& host = "127.0.0.1");

}  // namespace farm::auth::testing

#endif  // FARM_AUTH_TLS_TESTING_NAMED_SERVER_H_
