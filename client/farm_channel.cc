#include "client/farm_channel.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "auth/listen_policy.h"
#include "auth/tls/target_list.h"
#include "auth/tls/token_interceptor.h"
#include "cache/service/grpc_server.h"
#include "client/embedded_farm.h"
#include "client/farm_errors.h"
#include "client/local/local_connect.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace farm::client {

namespace {

absl::Mutex mu(absl::kConstInit);
EmbeddedFarm* embedded ABSL_GUARDED_BY(mu) = nullptr;
std::string embedded_root ABSL_GUARDED_BY(mu);
WorkerStarter* worker_starter ABSL_GUARDED_BY(mu) = nullptr;
bool use_local_server ABSL_GUARDED_BY(mu) = false;

// Whether every address of `remote` (one, or a list) is this machine's.
bool IsLoopbackRemote(const std::string& remote) {
  for (absl::string_view entry : absl::StrSplit(remote, ',')) {
    if (!auth::IsLoopbackAddress(absl::StripAsciiWhitespace(entry))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenRemoteChannel(
    const FarmEndpoint& endpoint) {
  const auth::ClientSecurity& security = endpoint.security;
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                   auth::MakeChannelCredentials(security));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(cache::kMaxMessageBytes);
  args.SetMaxSendMessageSize(cache::kMaxMessageBytes);
  ASSIGN_OR_RETURN(const std::string target,
                   auth::ResolveDialTarget(endpoint.remote, &args));
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  // The explaining interceptor sees the status last, as the caller will.
  RemoteFarm farm{endpoint.remote, endpoint.remote_source, security.tls(),
                  !security.token.empty(), !security.tls_cert.empty()};
  interceptors.push_back(MakeExplainingInterceptorFactory(std::move(farm)));
  if (!security.token.empty()) {
    if (!security.tls() && !IsLoopbackRemote(endpoint.remote)) {
      std::cerr << "warning: sending a token in plaintext to "
                << endpoint.remote
                << "; set FARM_TLS_CA (or --tls-ca) to use TLS\n";
    }
    interceptors.push_back(auth::MakeTokenInterceptorFactory(security.token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, args, std::move(interceptors));
}

}  // namespace

void SetEmbeddedWorkerStarter(WorkerStarter starter) {
  absl::MutexLock lock(&mu);
  delete worker_starter;
  worker_starter = new WorkerStarter(std::move(starter));
}

void UseLocalServer() {
  absl::MutexLock lock(&mu);
  use_local_server = true;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenFarmChannel(
    const FarmEndpoint& endpoint) {
  if (!endpoint.remote.empty()) return OpenRemoteChannel(endpoint);
  absl::MutexLock lock(&mu);
  if (use_local_server) return local::ConnectLocalServer(endpoint.root);
  if (embedded != nullptr) {
    if (embedded_root != endpoint.root) {
      return absl::FailedPreconditionError(
          "one process can embed the farm of only one --root");
    }
    return embedded->channel();
  }
  absl::StatusOr<std::unique_ptr<EmbeddedFarm>> farm = EmbeddedFarm::Start(
      endpoint.root, worker_starter ? *worker_starter : WorkerStarter());
  if (!farm.ok()) return farm.status();
  embedded = farm->release();
  embedded_root = endpoint.root;
  return embedded->channel();
}

void CloseFarmChannels() {
  absl::MutexLock lock(&mu);
  delete embedded;
  embedded = nullptr;
}

}  // namespace farm::client
