// ClientSecurity for a remote farm, from what the user set: the global
// flags, else FARM_TLS_CA / FARM_TLS_CERT / FARM_TLS_KEY / FARM_TOKEN,
// else (for the token) what `farm login --remote` stored for that address.
#ifndef FARM_CLIENT_CLIENT_SECURITY_H_
#define FARM_CLIENT_CLIENT_SECURITY_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "auth/tls/channel.h"

namespace farm::client {

struct SecurityFlags {
  std::string tls_ca, tls_cert, tls_key;  // --tls-ca, --tls-cert, --tls-key
  std::string token_file;                 // --token-file
};

// `getenv` reads the environment (a fake in tests). Errors: an unreadable
// --token-file, or farm's config.json that is not JSON.
absl::StatusOr<auth::ClientSecurity> ResolveClientSecurity(
    const SecurityFlags& flags, const std::string& remote,
    const std::string& config_path,
    const std::function<const char*(const char*)>& getenv);

}  // namespace farm::client

#endif  // FARM_CLIENT_CLIENT_SECURITY_H_
