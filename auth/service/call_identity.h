// The gRPC side of authentication: what a call presented, taken from its
// ServerContext, and the one-line check every farm RPC handler makes first.
#ifndef FARM_AUTH_SERVICE_CALL_IDENTITY_H_
#define FARM_AUTH_SERVICE_CALL_IDENTITY_H_

#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "auth/identity.h"
#include "auth/permission.h"

namespace farm::auth {

// Every "authorization" metadata value of the call, and the client
// certificate (PEM) the TLS handshake verified, if the peer presented one.
CallCredentials CredentialsOf(const grpc::ServerContext& context);

// Authenticate, then Authorize `permission`: the caller's identity, or
// kUnauthenticated / kPermissionDenied (convert with ToGrpcStatus).
absl::StatusOr<Identity> AuthorizeCall(const grpc::ServerContext& context,
                                       const Authenticator& authenticator,
                                       Permission permission);

}  // namespace farm::auth

#endif  // FARM_AUTH_SERVICE_CALL_IDENTITY_H_
