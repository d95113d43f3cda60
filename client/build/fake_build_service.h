// FakeBuildService: a BuildService on a real gRPC server (127.0.0.1, port
// 0) whose Build calls are served by test scripts, the same FarmCall
// scripts FakeFarm runs in memory. For tests of the gRPC transport and of
// the `farm build` command end to end. Test-only.
#ifndef FARM_CLIENT_BUILD_FAKE_BUILD_SERVICE_H_
#define FARM_CLIENT_BUILD_FAKE_BUILD_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "client/build/fake_build_stream.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "proto/build.grpc.pb.h"

namespace farm::client::build {

class FakeBuildService : public proto::BuildService::Service {
 public:
  // `script(call, n)` serves the n-th Build call (from 0); the call ends
  // with the status given to call.Finish, or OK.
  explicit FakeBuildService(FakeFarm::Script script)
      : script_(std::move(script)) {}

  grpc::Status Build(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::BuildServerMessage,
                               proto::BuildClientMessage>* stream) override;

  int calls() const { return calls_.load(); }

 private:
  FakeFarm::Script script_;
  std::atomic<int> calls_{0};
};

// The service above, listening on 127.0.0.1 at a port of the kernel's
// choosing, until destroyed.
class FakeBuildServer {
 public:
  explicit FakeBuildServer(FakeFarm::Script script);
  ~FakeBuildServer();

  std::string address() const;  // "127.0.0.1:PORT"
  std::shared_ptr<grpc::Channel> NewChannel() const;
  const FakeBuildService& service() const { return service_; }

 private:
  FakeBuildService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_FAKE_BUILD_SERVICE_H_
