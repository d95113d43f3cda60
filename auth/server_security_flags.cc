#include "auth/server_security_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, tls_cert, "", "server certificate (PEM); turns on TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA whose client certificates are identities (mTLS)");
ABSL_FLAG(std::string, tokens, "",
          "identities: one 'TOKEN TENANT ROLE' a line (re-read on change)");
ABSL_FLAG(bool, insecure, false,
          "allow a non-loopback address without TLS or identities");

namespace farm::auth {

ServerSecurityFlags ServerSecurityFlagsFromCommandLine() {
  ServerSecurityFlags flags;
  flags.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  flags.tls_key = absl::GetFlag(FLAGS_tls_key);
  flags.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  flags.tokens = absl::GetFlag(FLAGS_tokens);
  flags.insecure = absl::GetFlag(FLAGS_insecure);
  return flags;
}

}  // namespace farm::auth
