#include "worker/grpc_worker_stream.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/grpc_connection.h"
#include "common/grpc_status.h"
#include "common/logging.h"

namespace farm::worker {
namespace {

class GrpcWorkerStream : public WorkerStream {
 public:
  GrpcWorkerStream(proto::WorkerService::Stub* stub, absl::Duration grace)
      : grace_(grace) {
    stream_ = stub->Connect(&context_);
  }

  ~GrpcWorkerStream() override {
    // A stream the scheduler ended has its status; cancelling would hide it.
    if (!read_ended_) context_.TryCancel();
    ended_.Notify();
    if (closer_.joinable()) closer_.join();
    // After every Read has returned. Say why the scheduler ended the stream
    // (a refused registration, say), unless this side ended it.
    grpc::Status status = stream_->Finish();
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
        absl::StrContains(status.error_message(), "larger than max")) {
      // gRPC's own words for a message over the receive limit: a job too
      // big for this worker. The scheduler sees a lost worker and retries
      // the job (elsewhere, up to its attempt limit).
      FARM_LOG(ERROR) << "dropped the connection to the scheduler over a "
                         "message too large for this worker (farm-worker "
                         "--max-job-bytes): "
                      << FromGrpcStatus(status);
    } else if (!status.ok() &&
               status.error_code() != grpc::StatusCode::CANCELLED) {
      FARM_LOG(WARNING) << "the scheduler ended the connection: "
                        << FromGrpcStatus(status);
    }
  }

  bool Read(proto::SchedulerMessage* message) override {
    if (stream_->Read(message)) return true;
    read_ended_ = true;
    return false;
  }

  bool Write(const proto::WorkerMessage& message) override {
    absl::MutexLock lock(&mu_);
    if (closed_) return false;
    return stream_->Write(message);
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    stream_->WritesDone();
    closer_ = std::thread([this] {
      if (!ended_.WaitForNotificationWithTimeout(grace_)) context_.TryCancel();
    });
  }

 private:
  absl::Duration grace_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<proto::WorkerMessage, proto::SchedulerMessage>>
      stream_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification ended_;
  std::atomic<bool> read_ended_{false};
  std::thread closer_;
};

}  // namespace

GrpcWorkerConnector::GrpcWorkerConnector(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      stub_(proto::WorkerService::NewStub(channel_)) {}

absl::StatusOr<std::unique_ptr<WorkerStream>> GrpcWorkerConnector::Connect() {
  // The agent paces its own reconnects: dial at once rather than wait out
  // the channel's backoff, and wait a moment for it (after a failover, the
  // new leader is about to listen).
  if (connect_wait > absl::ZeroDuration()) {
    AwaitConnection(*channel_, connect_wait);
  }
  return std::unique_ptr<WorkerStream>(
      new GrpcWorkerStream(stub_.get(), close_grace));
}

grpc::ChannelArguments SchedulerChannelArguments(int max_job_bytes) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_job_bytes);
  // The scheduler refuses more than its own limit anyway.
  args.SetMaxSendMessageSize(kDefaultMaxJobBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 300000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  return args;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialScheduler(
    const std::string& address, const auth::ClientSecurity& security,
    int max_job_bytes) {
  return auth::DialFarm(address, security,
                        SchedulerChannelArguments(max_job_bytes));
}

}  // namespace farm::worker
