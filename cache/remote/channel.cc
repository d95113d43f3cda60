#include "cache/remote/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace farm::cache {

namespace {

grpc::ChannelArguments CacheChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return args;
}

}  // namespace

std::shared_ptr<grpc::Channel> DialCache(const std::string& target) {
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   CacheChannelArguments());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialCache(
    const std::string& target, const auth::ClientSecurity& security) {
  return auth::DialFarm(target, security, CacheChannelArguments());
}

void SetTimeout(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace farm::cache
