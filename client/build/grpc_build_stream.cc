#include "client/build/grpc_build_stream.h"

#include "common/grpc_connection.h"
#include "common/grpc_status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"

namespace farm::client::build {

namespace {

class GrpcBuildStream : public BuildStream {
 public:
  explicit GrpcBuildStream(proto::BuildService::Stub* stub)
      : call_(stub->Build(&context_)) {}

  bool Write(const proto::BuildClientMessage& message) override {
    return call_->Write(message);
  }
  bool Read(proto::BuildServerMessage* message) override {
    return call_->Read(message);
  }
  bool WritesDone() override { return call_->WritesDone(); }
  absl::Status Finish() override { return FromGrpcStatus(call_->Finish()); }
  void Cancel() override { context_.TryCancel(); }

 private:
  // Declared first: the call refers to it until destroyed.
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<proto::BuildClientMessage,
                                           proto::BuildServerMessage>>
      call_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BuildStream>> GrpcBuildConnector::Open() {
  if (opened_ && reconnect_wait_ > absl::ZeroDuration()) {
    AwaitConnection(*channel_, reconnect_wait_);
  }
  opened_ = true;
  return std::unique_ptr<BuildStream>(new GrpcBuildStream(stub_.get()));
}

}  // namespace farm::client::build
