// CallFarm: one unary call to a farm service, embedded or --remote: opens
// the channel, makes the stub, makes the call, converts the status. The
// listing, image, registry, cache and version commands each make their
// calls this way; streaming calls (build, load, save, run) open their own.
#ifndef FARM_CLIENT_FARM_CALL_H_
#define FARM_CLIENT_FARM_CALL_H_

#include <chrono>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/farm_channel.h"
#include "common/grpc_status.h"
#include "grpcpp/client_context.h"

namespace farm::client {

// On a channel already open, for commands that make several calls (one per
// image named). `timeout` bounds the call; infinite means no deadline.
template <typename Service, typename Request, typename Response>
absl::Status CallFarm(const std::shared_ptr<grpc::Channel>& channel,
                      grpc::Status (Service::Stub::*method)(
                          grpc::ClientContext*, const Request&, Response*),
                      const Request& request, Response* response,
                      absl::Duration timeout = absl::InfiniteDuration()) {
  std::unique_ptr<typename Service::Stub> stub = Service::NewStub(channel);
  grpc::ClientContext context;
  if (timeout != absl::InfiniteDuration()) {
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(timeout));
  }
  return FromGrpcStatus(((*stub).*method)(&context, request, response));
}

template <typename Service, typename Request, typename Response>
absl::Status CallFarm(const FarmEndpoint& endpoint,
                      grpc::Status (Service::Stub::*method)(
                          grpc::ClientContext*, const Request&, Response*),
                      const Request& request, Response* response,
                      absl::Duration timeout = absl::InfiniteDuration()) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) return channel.status();
  return CallFarm<Service>(*channel, method, request, response, timeout);
}

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_CALL_H_
