#include "auth/tls/server_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "auth/tls/pem_files.h"
#include "auth/tls/refresh_interval.h"
#include "common/status_macros.h"

namespace farm::auth {

namespace {

absl::Status CheckFiles(const ServerTlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        files.cert.empty()
            ? "a TLS private key was given without its certificate; give "
              "both --tls-cert and --tls-key"
            : "a TLS certificate was given without its private key; give "
              "both --tls-cert and --tls-key");
  }
  if (files.cert.empty() && !files.client_ca.empty()) {
    return absl::InvalidArgumentError(
        "a client CA was given without a server certificate; client "
        "certificates need TLS, so give --tls-cert and --tls-key too");
  }
  if (files.cert.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckKeyPair(files.cert, files.key));
  if (!files.client_ca.empty()) {
    RETURN_IF_ERROR(CheckCertificateFile(files.client_ca, "client CA"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files, absl::Duration refresh) {
  RETURN_IF_ERROR(CheckFiles(files));
  if (!files.enabled()) return grpc::InsecureServerCredentials();

  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.key, files.cert, files.client_ca, RefreshSeconds(refresh));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!files.client_ca.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace farm::auth
