// The agent's view of its connection to the scheduler: one WorkerService
// Connect stream (WorkerMessage out, SchedulerMessage in), and a way to
// open a new one. GrpcWorkerConnector is the real thing; tests use fakes.
#ifndef FARM_WORKER_WORKER_STREAM_H_
#define FARM_WORKER_WORKER_STREAM_H_

#include <memory>

#include "absl/status/statusor.h"
#include "proto/worker.pb.h"

namespace farm::worker {

class WorkerStream {
 public:
  virtual ~WorkerStream() = default;
  // Blocks for the next message; false once the stream has ended (the
  // scheduler closed it, the connection broke, or Close was called).
  // Called from one thread at a time.
  virtual bool Read(proto::SchedulerMessage* message) = 0;
  // Sends one message; false when the stream is broken. Called from one
  // thread at a time, possibly while another thread is in Read.
  virtual bool Write(const proto::WorkerMessage& message) = 0;
  // Ends the stream from this side; a blocked Read returns false.
  // Thread-safe, idempotent.
  virtual void Close() = 0;
};

class WorkerConnector {
 public:
  virtual ~WorkerConnector() = default;
  // Opens a new Connect stream. kUnavailable when the scheduler cannot be
  // reached (a stream may also open and then end at once).
  virtual absl::StatusOr<std::unique_ptr<WorkerStream>> Connect() = 0;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_WORKER_STREAM_H_
