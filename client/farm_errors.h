// What a user reads when a call to a remote farm fails for a reason of
// access rather than of the command: no or unknown credentials, a role or
// tenant that may not, a farm that cannot be reached or whose TLS does not
// match. Each becomes one sentence that says what to set, in place of a raw
// gRPC status. An interceptor applies it to every call of the client's
// channel, so every command says the same.
#ifndef FARM_CLIENT_FARM_ERRORS_H_
#define FARM_CLIENT_FARM_ERRORS_H_

#include <memory>
#include <string>

#include "grpcpp/support/client_interceptor.h"
#include "grpcpp/support/status.h"

namespace farm::client {

// Where the client was told to go, for the sentences.
struct RemoteFarm {
  std::string address;
  std::string source = "--remote";  // or "FARM_REMOTE"
  bool tls = false;                 // FARM_TLS_CA or --tls-ca given
  bool token = false;               // a token was sent
  bool certificate = false;         // a client certificate was presented
};

// The explained status; statuses of other codes come back unchanged.
grpc::Status ExplainFarmStatus(const grpc::Status& status,
                               const RemoteFarm& farm);

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
MakeExplainingInterceptorFactory(RemoteFarm farm);

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_ERRORS_H_
