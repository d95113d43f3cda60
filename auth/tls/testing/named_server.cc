#include "auth/tls/testing/named_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace farm::auth::testing {

class NamedServer::Service : public WhoAmI::Service {
 public:
  explicit Service(std::string name) : name_(std::move(name)) {}

  grpc::Status Ask(grpc::ServerContext*, const WhoAmIRequest*,
                   WhoAmIResponse* response) override {
    response->set_tenant(name_);
    return grpc::Status::OK;
  }

 private:
  const std::string name_;
};

absl::StatusOr<std::unique_ptr<NamedServer>> NamedServer::Start(
    const std::string& name, const std::string& host, int port,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  std::unique_ptr<NamedServer> server(new NamedServer);
  server->service_ = std::make_unique<Service>(name);
  grpc::ServerBuilder builder;
  // Otherwise a second server could bind the same port beside the first.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  const std::string address = absl::StrCat(host, ":", port);
  builder.AddListeningPort(address, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("could not listen on ", address));
  }
  return server;
}

NamedServer::~NamedServer() {
  if (server_ == nullptr) return;
  // Calls in flight get a moment; then their connections are dropped.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
}

absl::StatusOr<int> UnusedPort(const std::string& host) {
  absl::StatusOr<std::unique_ptr<NamedServer>> server =
      NamedServer::Start("unused", host, 0, grpc::InsecureServerCredentials());
  if (!server.ok()) return server.status();
  return (*server)->port();
}

}  // namespace farm::auth::testing
