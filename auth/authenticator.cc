#include "auth/authenticator.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/bearer.h"
#include "auth/certificate_identity.h"
#include "common/status_macros.h"

namespace farm::auth {

absl::StatusOr<Identity> Authenticator::Authenticate(
    const CallCredentials& call) const {
  if (open()) {
    return Identity{kDefaultTenant, Role::kAdmin, "no identities configured"};
  }
  if (call.authorization.size() > 1) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the call carried ", call.authorization.size(),
        " authorization values; send exactly one \"Bearer TOKEN\""));
  }
  if (call.authorization.size() == 1) {
    return FromToken(call.authorization[0]);
  }
  if (options_.client_certificates && !call.peer_certificate_pem.empty()) {
    return FromCertificate(call.peer_certificate_pem);
  }
  return NothingPresented();
}

absl::StatusOr<Identity> Authenticator::FromToken(
    const std::string& authorization) const {
  ASSIGN_OR_RETURN(std::string token, ParseBearer(authorization));
  if (options_.tokens == nullptr) {
    return absl::UnauthenticatedError(
        "the call carried a bearer token, but this farm accepts no tokens "
        "(it has no --tokens file); present a client certificate instead");
  }
  std::optional<Identity> identity = options_.tokens->Find(token);
  if (!identity.has_value()) {
    return absl::UnauthenticatedError(
        "the call's bearer token is not one this farm knows; check the "
        "token, or ask the farm's admin to add it to the token file");
  }
  return *std::move(identity);
}

absl::StatusOr<Identity> Authenticator::FromCertificate(
    const std::string& pem) const {
  absl::StatusOr<CertificateSubject> subject = ParseCertificateSubject(pem);
  if (!subject.ok()) {
    return absl::UnauthenticatedError(subject.status().message());
  }
  return IdentityFromCertificate(*subject);
}

absl::Status Authenticator::NothingPresented() const {
  if (options_.tokens != nullptr && options_.client_certificates) {
    return absl::UnauthenticatedError(
        "this farm requires a token or a client certificate, and the call "
        "carried neither");
  }
  if (options_.tokens != nullptr) {
    return absl::UnauthenticatedError(
        "this farm requires a bearer token, and the call carried none");
  }
  return absl::UnauthenticatedError(
      "this farm requires a client certificate signed by its client CA, and "
      "the call presented none");
}

}  // namespace farm::auth
