#include "auth/server_security.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/listen_policy.h"
#include "auth/tls/server_credentials.h"
#include "common/status_macros.h"

namespace farm::auth {

absl::StatusOr<std::unique_ptr<ServerSecurity>> ServerSecurity::Make(
    const std::string& program, const std::string& listen_address,
    const ServerSecurityFlags& flags) {
  std::unique_ptr<ServerSecurity> security(new ServerSecurity);
  ServerTlsFiles files{flags.tls_cert, flags.tls_key, flags.tls_client_ca};
  const bool identities = !flags.tokens.empty() || !files.client_ca.empty();
  RETURN_IF_ERROR(CheckListenSecurity(program, listen_address, files.enabled(),
                                      identities, flags.insecure));
  ASSIGN_OR_RETURN(security->credentials_, MakeServerCredentials(files));
  AuthenticatorOptions options;
  options.client_certificates = !files.client_ca.empty();
  std::vector<std::string> parts = {files.enabled() ? "TLS" : "plaintext"};
  if (options.client_certificates) parts.push_back("client certificates");
  if (!flags.tokens.empty()) {
    ASSIGN_OR_RETURN(security->tokens_, TokenFile::Open(flags.tokens));
    options.tokens = security->tokens_.get();
    parts.push_back(absl::StrCat("tokens from ", flags.tokens));
  }
  if (!identities) parts.push_back("no identities: every caller is admin");
  security->authenticator_ = std::make_unique<Authenticator>(options);
  security->description_ = absl::StrJoin(parts, ", ");
  return security;
}

}  // namespace farm::auth
