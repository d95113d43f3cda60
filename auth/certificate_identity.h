// The identity of a caller that presented a client certificate: the
// certificate's subject, read with OpenSSL, mapped to a tenant (the CN) and
// a role (the OUs).
#ifndef FARM_AUTH_CERTIFICATE_IDENTITY_H_
#define FARM_AUTH_CERTIFICATE_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/identity.h"

namespace farm::auth {

struct CertificateSubject {
  std::string common_name;  // "" when the subject has none
  std::vector<std::string> organizational_units;
};

// The subject of the first certificate in `pem`. kInvalidArgument when
// `pem` holds no PEM certificate, or the subject has more than one CN.
// Does not verify anything: the TLS handshake already did.
absl::StatusOr<CertificateSubject> ParseCertificateSubject(
    absl::string_view pem);

// The CN is the tenant (kUnauthenticated if it is not a valid tenant name);
// an OU "admin" gives Role::kAdmin, else an OU "worker" Role::kWorker, else
// Role::kClient. The source is "certificate CN=<cn>".
absl::StatusOr<Identity> IdentityFromCertificate(
    const CertificateSubject& subject);

}  // namespace farm::auth

#endif  // FARM_AUTH_CERTIFICATE_IDENTITY_H_
