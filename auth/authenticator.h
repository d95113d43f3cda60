// Authenticator: turns what a call carried (bearer tokens, a verified client
// certificate) into the caller's Identity. It never sees gRPC types:
// auth/service/call_identity.h extracts CallCredentials from a call.
#ifndef FARM_AUTH_AUTHENTICATOR_H_
#define FARM_AUTH_AUTHENTICATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/identity.h"
#include "auth/token_file.h"

namespace farm::auth {

// What one call presented.
struct CallCredentials {
  // Every "authorization" metadata value of the call.
  std::vector<std::string> authorization;
  // The client certificate gRPC verified against --tls-client-ca; "" if
  // none.
  std::string peer_certificate_pem;
};

struct AuthenticatorOptions {
  TokenFile* tokens = nullptr;       // --tokens; not owned; nullptr: none
  bool client_certificates = false;  // --tls-client-ca was given
};

class Authenticator {
 public:
  // `options.tokens`, if set, must outlive the Authenticator.
  explicit Authenticator(AuthenticatorOptions options) : options_(options) {}

  // True when no identities are configured (no tokens, no client CA): the
  // single-machine farm, where every caller is the admin of kDefaultTenant.
  bool open() const {
    return options_.tokens == nullptr && !options_.client_certificates;
  }

  // Open: {kDefaultTenant, kAdmin, "no identities configured"}, whatever the
  // call carried. Otherwise a bearer token is looked up: a presented token
  // that is malformed or unknown fails even if a certificate is also there,
  // and more than one authorization value fails. With no token, a verified
  // client certificate gives its identity. Every failure is
  // kUnauthenticated, saying what was missing or wrong and never quoting a
  // token. Thread-safe.
  absl::StatusOr<Identity> Authenticate(const CallCredentials& call) const;

 private:
  absl::StatusOr<Identity> FromToken(const std::string& authorization) const;
  absl::StatusOr<Identity> FromCertificate(const std::string& pem) const;
  absl::Status NothingPresented() const;

  const AuthenticatorOptions options_;
};

}  // namespace farm::auth

#endif  // FARM_AUTH_AUTHENTICATOR_H_
