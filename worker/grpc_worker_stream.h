// GrpcWorkerConnector: opens WorkerService.Connect streams to the scheduler
// over a gRPC channel (TCP for farm-worker, in-process for the embedded
// farm).
#ifndef FARM_WORKER_GRPC_WORKER_STREAM_H_
#define FARM_WORKER_GRPC_WORKER_STREAM_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/tls/channel.h"
#include "proto/worker.grpc.pb.h"
#include "worker/worker_stream.h"

namespace farm::worker {

class GrpcWorkerConnector : public WorkerConnector {
 public:
  explicit GrpcWorkerConnector(std::shared_ptr<grpc::Channel> channel);

  // Waits up to `connect_wait` for the channel to connect, then opens the
  // stream. The stream's Close half-closes it (what was written is
  // delivered) and cancels the call if the scheduler has not ended it
  // within `close_grace`.
  absl::StatusOr<std::unique_ptr<WorkerStream>> Connect() override;

  // Zero for an in-process channel: it has no connection to wait for, and
  // gRPC's connectivity watch aborts on one.
  absl::Duration connect_wait = absl::Seconds(2);
  absl::Duration close_grace = absl::Seconds(2);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::WorkerService::Stub> stub_;
};

// The largest message a worker takes from the scheduler by default
// (farm-worker --max-job-bytes): the scheduler's own message limit. Jobs
// stay far below it, since a context manifest past the scheduler's
// --inline-context-bytes travels as a CAS blob (StageJob.context_digest).
inline constexpr int kDefaultMaxJobBytes = 64 << 20;

// The arguments of DialScheduler's channel: keepalive pings every 5
// minutes (as often as a gRPC server allows by default) so a vanished
// scheduler host is noticed, and messages from the scheduler (jobs, and
// the cache's replies) of at most `max_job_bytes`. A larger one ends the
// stream it came on with kResourceExhausted: a worker cannot be made to
// buffer an unbounded message.
grpc::ChannelArguments SchedulerChannelArguments(
    int max_job_bytes = kDefaultMaxJobBytes);

// A channel to a scheduler at `address` for farm-worker with those
// arguments, over TLS and with a token when `security` says so. Errors name
// an unreadable TLS file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialScheduler(
    const std::string& address, const auth::ClientSecurity& security = {},
    int max_job_bytes = kDefaultMaxJobBytes);

}  // namespace farm::worker

#endif  // FARM_WORKER_GRPC_WORKER_STREAM_H_
