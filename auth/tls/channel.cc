#include "auth/tls/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "auth/tls/pem_files.h"
#include "auth/tls/refresh_interval.h"
#include "auth/tls/target_list.h"
#include "auth/tls/token_interceptor.h"
#include "auth/token_format.h"
#include "common/status_macros.h"

namespace farm::auth {
namespace {

// How often a client re-reads its CA, certificate and key.
constexpr absl::Duration kClientRefresh = absl::Seconds(5);

absl::Status CheckFiles(const ClientSecurity& security) {
  if (security.tls_cert.empty() != security.tls_key.empty()) {
    return absl::InvalidArgumentError(
        security.tls_cert.empty()
            ? "a TLS private key was given without its client certificate; "
              "give both --tls-cert and --tls-key"
            : "a TLS client certificate was given without its private key; "
              "give both --tls-cert and --tls-key");
  }
  if (!security.tls_ca.empty()) {
    RETURN_IF_ERROR(CheckCertificateFile(security.tls_ca, "CA certificate"));
  }
  if (!security.tls_cert.empty()) {
    RETURN_IF_ERROR(CheckKeyPair(security.tls_cert, security.tls_key));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientSecurity& security) {
  RETURN_IF_ERROR(CheckFiles(security));
  if (!security.tls()) return grpc::InsecureChannelCredentials();

  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  // Without a root watch, gRPC trusts the system's roots.
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          security.tls_key, security.tls_cert, security.tls_ca,
          RefreshSeconds(kClientRefresh)));
  if (!security.tls_ca.empty()) options.watch_root_certs();
  if (!security.tls_cert.empty()) options.watch_identity_key_cert_pairs();
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialFarm(
    const std::string& target, const ClientSecurity& security,
    grpc::ChannelArguments args) {
  if (!security.token.empty() && (security.token.size() > kMaxTokenLength ||
                                  !IsVisibleAscii(security.token))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the farm token must be 1 to ", kMaxTokenLength,
        " characters of visible ASCII, with no spaces or line breaks"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                   MakeChannelCredentials(security));
  ASSIGN_OR_RETURN(const std::string dial, ResolveDialTarget(target, &args));
  if (security.token.empty()) {
    return grpc::CreateCustomChannel(dial, credentials, args);
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(MakeTokenInterceptorFactory(security.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      dial, credentials, args, std::move(interceptors));
}

}  // namespace farm::auth
