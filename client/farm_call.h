// CallFarm: one unary call to a farm service, embedded or --remote: opens
// the channel, makes the stub, makes the call, converts the status. Every
// listing and image command is one such call.
#ifndef FARM_CLIENT_FARM_CALL_H_
#define FARM_CLIENT_FARM_CALL_H_

#include <memory>

#include "absl/status/status.h"
#include "client/farm_channel.h"
#include "common/grpc_status.h"
#include "grpcpp/client_context.h"

namespace farm::client {

template <typename Service, typename Request, typename Response>
absl::Status CallFarm(const FarmEndpoint& endpoint,
                      grpc::Status (Service::Stub::*method)(
                          grpc::ClientContext*, const Request&, Response*),
                      const Request& request, Response* response) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) return channel.status();
  std::unique_ptr<typename Service::Stub> stub = Service::NewStub(*channel);
  grpc::ClientContext context;
  return FromGrpcStatus(((*stub).*method)(&context, request, response));
}

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_CALL_H_
