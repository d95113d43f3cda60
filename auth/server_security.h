// ServerSecurity: what a farm server (farm-scheduler, farm-cache) listens
// with, from its flags: TLS credentials over watched files, the identities
// it knows (a --tokens file, client certificates), and the refusal to serve
// a non-loopback address with neither TLS nor identities unless told
// --insecure.
#ifndef FARM_AUTH_SERVER_SECURITY_H_
#define FARM_AUTH_SERVER_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "auth/token_file.h"
#include "grpcpp/security/server_credentials.h"

namespace farm::auth {

struct ServerSecurityFlags {
  std::string tls_cert, tls_key, tls_client_ca;  // --tls-*
  std::string tokens;                            // --tokens
  bool insecure = false;                         // --insecure
};

class ServerSecurity {
 public:
  // Fails, with one sentence naming `program` and what to add, on a file
  // that cannot be read or parsed and on an unsafe address.
  static absl::StatusOr<std::unique_ptr<ServerSecurity>> Make(
      const std::string& program, const std::string& listen_address,
      const ServerSecurityFlags& flags);

  std::shared_ptr<grpc::ServerCredentials> credentials() const {
    return credentials_;
  }
  const Authenticator* authenticator() const { return authenticator_.get(); }
  // For the start-up log: "TLS, client certificates, tokens from FILE".
  const std::string& Describe() const { return description_; }

 private:
  ServerSecurity() = default;

  std::shared_ptr<grpc::ServerCredentials> credentials_;
  std::unique_ptr<TokenFile> tokens_;
  std::unique_ptr<Authenticator> authenticator_;
  std::string description_;
};

}  // namespace farm::auth

#endif  // FARM_AUTH_SERVER_SECURITY_H_
