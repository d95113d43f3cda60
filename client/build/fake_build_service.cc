#include "client/build/fake_build_service.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace farm::client::build {

namespace {

// A FarmCall over the server side of a gRPC Build call.
class GrpcFarmCall : public FarmCall {
 public:
  GrpcFarmCall(grpc::ServerContext* context,
               grpc::ServerReaderWriter<proto::BuildServerMessage,
                                        proto::BuildClientMessage>* stream)
      : context_(context), stream_(stream) {}

  bool Read(proto::BuildClientMessage* message) override {
    if (finished()) return false;
    return stream_->Read(message);
  }
  bool Write(const proto::BuildServerMessage& message) override {
    if (finished()) return false;
    return stream_->Write(message);
  }
  void Finish(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    status_ = status;
  }
  bool cancelled() const override { return context_->IsCancelled(); }

  absl::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  bool finished() const {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  grpc::ServerContext* context_;
  grpc::ServerReaderWriter<proto::BuildServerMessage,
                           proto::BuildClientMessage>* stream_;
  mutable absl::Mutex mu_;
  bool finished_ = false;
  absl::Status status_;
};

}  // namespace

grpc::Status FakeBuildService::Build(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::BuildServerMessage,
                             proto::BuildClientMessage>* stream) {
  GrpcFarmCall call(context, stream);
  script_(call, calls_.fetch_add(1));
  return ToGrpcStatus(call.status());
}

FakeBuildServer::FakeBuildServer(FakeFarm::Script script)
    : service_(std::move(script)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

FakeBuildServer::~FakeBuildServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

std::string FakeBuildServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::shared_ptr<grpc::Channel> FakeBuildServer::NewChannel() const {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

}  // namespace farm::client::build
