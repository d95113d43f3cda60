// A real gRPC server on 127.0.0.1 with the WhoAmI test service, whose one
// call answers with what CredentialsOf and AuthorizeCall made of it.
#ifndef FARM_AUTH_SERVICE_TESTING_WHOAMI_SERVER_H_
#define FARM_AUTH_SERVICE_TESTING_WHOAMI_SERVER_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "auth/service/testing/whoami.grpc.pb.h"

namespace farm::auth::testing {

class WhoAmIServer {
 public:
  // Listens on 127.0.0.1 on a free port. `authenticator` is not owned and
  // must outlive the server. kUnavailable if the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<WhoAmIServer>> Start(
      std::shared_ptr<grpc::ServerCredentials> credentials,
      const Authenticator* authenticator);
  ~WhoAmIServer();

  int port() const { return port_; }

 private:
  class Service;
  WhoAmIServer() = default;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace farm::auth::testing

#endif  // FARM_AUTH_SERVICE_TESTING_WHOAMI_SERVER_H_
