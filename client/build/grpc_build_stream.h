// GrpcBuildConnector: Build calls over a gRPC channel to the farm (remote,
// or the embedded farm's in-process channel).
#ifndef FARM_CLIENT_BUILD_GRPC_BUILD_STREAM_H_
#define FARM_CLIENT_BUILD_GRPC_BUILD_STREAM_H_

#include <memory>

#include "client/build/build_stream.h"
#include "grpcpp/channel.h"
#include "proto/build.grpc.pb.h"

namespace farm::client::build {

class GrpcBuildConnector : public BuildConnector {
 public:
  explicit GrpcBuildConnector(std::shared_ptr<grpc::Channel> channel)
      : stub_(proto::BuildService::NewStub(std::move(channel))) {}

  // Starts a BuildService.Build call. Calls fail fast (no wait for a
  // channel that is down), so a lost farm shows up as kUnavailable.
  absl::StatusOr<std::unique_ptr<BuildStream>> Open() override;

 private:
  std::unique_ptr<proto::BuildService::Stub> stub_;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_GRPC_BUILD_STREAM_H_
