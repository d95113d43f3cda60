#include "client/client_security.h"

#include "auth/client_token.h"
#include "client/farm_logins.h"
#include "common/status_macros.h"

namespace farm::client {

absl::StatusOr<auth::ClientSecurity> ResolveClientSecurity(
    const SecurityFlags& flags, const std::string& remote,
    const std::string& config_path,
    const std::function<const char*(const char*)>& getenv) {
  auto pick = [&getenv](const std::string& flag, const char* variable) {
    if (!flag.empty()) return flag;
    const char* value = getenv(variable);
    return std::string(value != nullptr ? value : "");
  };
  auth::ClientSecurity security;
  security.tls_ca = pick(flags.tls_ca, "FARM_TLS_CA");
  security.tls_cert = pick(flags.tls_cert, "FARM_TLS_CERT");
  security.tls_key = pick(flags.tls_key, "FARM_TLS_KEY");
  if (!flags.token_file.empty()) {
    ASSIGN_OR_RETURN(security.token, auth::ReadTokenFile(flags.token_file));
  } else if (const char* token = getenv("FARM_TOKEN");
             token != nullptr && *token != '\0') {
    security.token = token;
  } else if (!remote.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     StoredFarmToken(config_path, remote));
    if (stored.has_value()) security.token = *stored;
  }
  return security;
}

}  // namespace farm::client
