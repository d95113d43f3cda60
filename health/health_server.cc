#include "health/health_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpc/impl/codegen/grpc_types.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace farm::health {

HealthServer::HealthServer(const ServingState* state) : service_(state, {}) {}

HealthServer::~HealthServer() {
  if (server_ == nullptr) return;  // never started
  // Open Watch streams end within their poll once the server cancels them.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  server_->Wait();
}

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(
    const std::string& address, const ServingState* state) {
  if (address.empty()) return nullptr;
  std::unique_ptr<HealthServer> health(new HealthServer(state));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &health->port_);
  // gRPC shares ports (SO_REUSEPORT) unless told not to: a second server
  // on a busy port must fail, not split the callers with the first.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&health->service_);
  health->server_ = builder.BuildAndStart();
  if (health->server_ == nullptr || health->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (--health-listen)"));
  }
  return health;
}

}  // namespace farm::health
