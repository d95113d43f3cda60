#include "client/farm_errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/support/interceptor.h"

namespace farm::client {

namespace {

bool Mentions(const std::string& text,
              std::initializer_list<absl::string_view> words) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (absl::string_view word : words) {
    if (absl::StrContains(lower, word)) return true;
  }
  return false;
}

std::string Unreachable(const std::string& reason, const RemoteFarm& farm) {
  // gRPC's "tcp handshaker" is the TCP connect, not TLS: a plaintext farm
  // that was not listening yet says it too.
  const bool tcp_connect = Mentions(reason, {"tcp handshaker"});
  if (!tcp_connect &&
      Mentions(reason, {"handshake", "ssl", "certificate", "tls"})) {
    return absl::StrCat(
        "the TLS handshake with the farm at ", farm.address, " failed (",
        reason,
        "); set FARM_TLS_CA (or --tls-ca) to the CA that signed its "
        "certificate, and check that the certificate names ",
        farm.address, " and has not expired");
  }
  const bool closed = Mentions(
      reason, {"socket closed", "connection reset", "end of stream", "eof"});
  if (farm.certificate && closed) {
    return absl::StrCat(
        "the farm at ", farm.address,
        " closed the connection during the TLS handshake (", reason,
        "); check that FARM_TLS_CERT (or --tls-cert) is signed by the CA the "
        "farm trusts (its --tls-client-ca) and has not expired");
  }
  std::string hint = absl::StrCat("is farm-scheduler running? ", farm.source,
                                  " is set to ", farm.address);
  if (!farm.tls && closed) {
    absl::StrAppend(&hint,
                    "; if that farm serves TLS, set FARM_TLS_CA (or "
                    "--tls-ca)");
  }
  return absl::StrCat("cannot reach the farm at ", farm.address, ": ", reason,
                      "; ", hint);
}

class ExplainingInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ExplainingInterceptor(const RemoteFarm* farm) : farm_(farm) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_STATUS)) {
      grpc::Status* status = methods->GetRecvStatus();
      if (status != nullptr) *status = ExplainFarmStatus(*status, *farm_);
    }
    methods->Proceed();
  }

 private:
  const RemoteFarm* farm_;
};

class ExplainingFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ExplainingFactory(RemoteFarm farm) : farm_(std::move(farm)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new ExplainingInterceptor(&farm_);
  }

 private:
  const RemoteFarm farm_;
};

}  // namespace

grpc::Status ExplainFarmStatus(const grpc::Status& status,
                               const RemoteFarm& farm) {
  const std::string& reason = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return grpc::Status(
          status.error_code(),
          absl::StrCat(
              "the farm at ", farm.address,
              " did not accept this client's credentials (", reason, "); ",
              farm.token ? "check the token you gave or " : "",
              "give a token with FARM_TOKEN or --token-file FILE, or run "
              "`farm login --remote ",
              farm.address,
              "`, or a client certificate with FARM_TLS_CERT and "
              "FARM_TLS_KEY"));
    case grpc::StatusCode::PERMISSION_DENIED:
      return grpc::Status(
          status.error_code(),
          absl::StrCat("the farm at ", farm.address, " refused this: ", reason,
                       "; use a token or certificate with the role and "
                       "tenant it needs (FARM_TOKEN, --token-file, "
                       "FARM_TLS_CERT)"));
    case grpc::StatusCode::UNAVAILABLE:
      if (Mentions(reason,
                   {"failed to connect", "connection refused", "dns resolution",
                    "handshake", "ssl", "socket closed", "connection reset",
                    "no route", "certificate"})) {
        return grpc::Status(status.error_code(), Unreachable(reason, farm));
      }
      return status;
    default:
      return status;
  }
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
MakeExplainingInterceptorFactory(RemoteFarm farm) {
  return std::make_unique<ExplainingFactory>(std::move(farm));
}

}  // namespace farm::client
