// WorkerService: the gRPC face of the worker pool. A worker holds one
// Connect stream: it registers, then sends heartbeats, job progress and
// results, and receives assignments and cancellations through the
// SchedulerCore. ListWorkers and Stats report on the pool.
#ifndef FARM_SCHEDULER_SERVICE_WORKER_SERVICE_H_
#define FARM_SCHEDULER_SERVICE_WORKER_SERVICE_H_

#include "proto/worker.grpc.pb.h"
#include "scheduler/scheduler_core.h"

namespace farm::scheduler {

class WorkerService final : public proto::WorkerService::Service {
 public:
  explicit WorkerService(SchedulerCore* core) : core_(core) {}

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
          stream) override;
  grpc::Status ListWorkers(grpc::ServerContext* context,
                           const proto::ListWorkersRequest* request,
                           proto::ListWorkersResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context,
                     const proto::SchedulerStatsRequest* request,
                     proto::SchedulerStats* response) override;

 private:
  SchedulerCore* core_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SERVICE_WORKER_SERVICE_H_
