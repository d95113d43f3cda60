#include "auth/tls/token_interceptor.h"

#include <grpcpp/support/interceptor.h>

#include <map>
#include <utility>

#include "auth/bearer.h"

namespace farm::auth {
namespace {

using grpc::experimental::ClientInterceptorFactoryInterface;
using grpc::experimental::ClientRpcInfo;
using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;

class TokenInterceptor : public Interceptor {
 public:
  explicit TokenInterceptor(const std::string* value) : value_(value) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kAuthorizationMetadata,
                                                 *value_);
    }
    methods->Proceed();
  }

 private:
  const std::string* value_;  // owned by the factory, which the channel keeps
};

class TokenInterceptorFactory : public ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::string token)
      : value_(BearerValue(token)) {}

  Interceptor* CreateClientInterceptor(ClientRpcInfo*) override {
    return new TokenInterceptor(&value_);
  }

 private:
  const std::string value_;
};

}  // namespace

std::unique_ptr<ClientInterceptorFactoryInterface> MakeTokenInterceptorFactory(
    std::string token) {
  return std::make_unique<TokenInterceptorFactory>(std::move(token));
}

}  // namespace farm::auth
