// GrpcBuildConnector: Build calls over a gRPC channel to the farm (remote,
// or the embedded farm's in-process channel).
#ifndef FARM_CLIENT_BUILD_GRPC_BUILD_STREAM_H_
#define FARM_CLIENT_BUILD_GRPC_BUILD_STREAM_H_

#include <memory>

#include "absl/time/time.h"
#include "client/build/build_stream.h"
#include "grpcpp/channel.h"
#include "proto/build.grpc.pb.h"

namespace farm::client::build {

class GrpcBuildConnector : public BuildConnector {
 public:
  // `reconnect_wait`: zero for an in-process channel, which has no
  // connection to wait for (gRPC's connectivity watch aborts on one).
  explicit GrpcBuildConnector(std::shared_ptr<grpc::Channel> channel,
                              absl::Duration reconnect_wait = absl::Seconds(2))
      : channel_(std::move(channel)),
        stub_(proto::BuildService::NewStub(channel_)),
        reconnect_wait_(reconnect_wait) {}

  // Starts a BuildService.Build call. Calls fail fast (no wait for a
  // channel that is down), so a lost farm shows up as kUnavailable. Every
  // call after the first (a re-attach) first waits up to `reconnect_wait`
  // for the channel to connect: the farm may be failing over.
  absl::StatusOr<std::unique_ptr<BuildStream>> Open() override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::BuildService::Stub> stub_;
  const absl::Duration reconnect_wait_;
  bool opened_ = false;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_GRPC_BUILD_STREAM_H_
