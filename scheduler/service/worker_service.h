// WorkerService: the gRPC face of the worker pool. A worker holds one
// Connect stream: it registers, then sends heartbeats, job progress and
// results, and receives assignments and cancellations through the
// SchedulerCore. ListWorkers and Stats report on the pool.
#ifndef FARM_SCHEDULER_SERVICE_WORKER_SERVICE_H_
#define FARM_SCHEDULER_SERVICE_WORKER_SERVICE_H_

#include "auth/authenticator.h"
#include "proto/worker.grpc.pb.h"
#include "scheduler/scheduler_core.h"

namespace farm::scheduler {

class WorkerService final : public proto::WorkerService::Service {
 public:
  // Neither is owned. Only workers (and admins) connect; only admins list
  // workers and read the stats.
  WorkerService(SchedulerCore* core, const auth::Authenticator* authenticator)
      : core_(core), authenticator_(authenticator) {}

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
          stream) override;
  grpc::Status ListWorkers(grpc::ServerContext* context,
                           const proto::ListWorkersRequest* request,
                           proto::ListWorkersResponse* response) override;
  grpc::Status DrainWorker(grpc::ServerContext* context,
                           const proto::DrainWorkerRequest* request,
                           proto::DrainWorkerResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context,
                     const proto::SchedulerStatsRequest* request,
                     proto::SchedulerStats* response) override;

 private:
  SchedulerCore* core_;
  const auth::Authenticator* authenticator_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SERVICE_WORKER_SERVICE_H_
