#include "auth/service/testing/whoami_server.h"

#include <grpcpp/server_builder.h>

#include "auth/service/call_identity.h"

namespace farm::auth::testing {

class WhoAmIServer::Service : public WhoAmI::Service {
 public:
  explicit Service(const Authenticator* authenticator)
      : authenticator_(authenticator) {}

  grpc::Status Ask(grpc::ServerContext* context, const WhoAmIRequest*,
                   WhoAmIResponse* response) override {
    CallCredentials credentials = CredentialsOf(*context);
    for (const std::string& value : credentials.authorization) {
      response->add_authorization(value);
    }
    response->set_peer_certificate_pem(credentials.peer_certificate_pem);
    absl::StatusOr<Identity> identity =
        AuthorizeCall(*context, *authenticator_, Permission::kBuild);
    response->set_code(static_cast<int>(identity.status().code()));
    response->set_message(std::string(identity.status().message()));
    if (identity.ok()) {
      response->set_tenant(identity->tenant);
      response->set_role(std::string(RoleName(identity->role)));
      response->set_source(identity->source);
    }
    return grpc::Status::OK;
  }

 private:
  const Authenticator* authenticator_;
};

absl::StatusOr<std::unique_ptr<WhoAmIServer>> WhoAmIServer::Start(
    std::shared_ptr<grpc::ServerCredentials> credentials,
    const Authenticator* authenticator) {
  std::unique_ptr<WhoAmIServer> server(new WhoAmIServer);
  server->service_ = std::make_unique<Service>(authenticator);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError("could not listen on 127.0.0.1");
  }
  return server;
}

WhoAmIServer::~WhoAmIServer() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace farm::auth::testing
