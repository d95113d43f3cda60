#include "auth/service/call_identity.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include <string>
#include <vector>

#include "auth/bearer.h"
#include "common/status_macros.h"

namespace farm::auth {

CallCredentials CredentialsOf(const grpc::ServerContext& context) {
  CallCredentials credentials;
  auto range = context.client_metadata().equal_range(kAuthorizationMetadata);
  for (auto it = range.first; it != range.second; ++it) {
    credentials.authorization.emplace_back(it->second.data(),
                                           it->second.size());
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    std::vector<grpc::string_ref> pem =
        auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (!pem.empty()) {
      credentials.peer_certificate_pem.assign(pem[0].data(), pem[0].size());
    }
  }
  return credentials;
}

absl::StatusOr<Identity> AuthorizeCall(const grpc::ServerContext& context,
                                       const Authenticator& authenticator,
                                       Permission permission) {
  ASSIGN_OR_RETURN(Identity identity,
                   authenticator.Authenticate(CredentialsOf(context)));
  RETURN_IF_ERROR(Authorize(identity, permission));
  return identity;
}

}  // namespace farm::auth
