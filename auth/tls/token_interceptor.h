// A client interceptor that adds "authorization: Bearer TOKEN" to every
// call of a channel. gRPC's call credentials would do the same but are
// refused on plaintext channels, and farm tokens also travel over
// plaintext loopback.
#ifndef FARM_AUTH_TLS_TOKEN_INTERCEPTOR_H_
#define FARM_AUTH_TLS_TOKEN_INTERCEPTOR_H_

#include <grpcpp/support/client_interceptor.h>

#include <memory>
#include <string>

namespace farm::auth {

// A factory for CreateCustomChannelWithInterceptors. `token` must be
// non-empty; it is copied.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
MakeTokenInterceptorFactory(std::string token);

}  // namespace farm::auth

#endif  // FARM_AUTH_TLS_TOKEN_INTERCEPTOR_H_
