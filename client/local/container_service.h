// ContainerService: the gRPC face of the ContainerManager, served by the
// local farm server only. Each method converts and calls the manager.
#ifndef FARM_CLIENT_LOCAL_CONTAINER_SERVICE_H_
#define FARM_CLIENT_LOCAL_CONTAINER_SERVICE_H_

#include "client/local/container_manager.h"
#include "proto/container.grpc.pb.h"

namespace farm::client::local {

class ContainerService final : public proto::ContainerService::Service {
 public:
  // `manager` is not owned and outlives the service.
  explicit ContainerService(ContainerManager* manager) : manager_(manager) {}

  grpc::Status Run(grpc::ServerContext* context,
                   const proto::ContainerConfig* request,
                   proto::ContainerRecord* response) override;
  grpc::Status RunAttached(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::AttachedRunReply,
                               proto::AttachedRunRequest>* stream) override;
  grpc::Status List(grpc::ServerContext* context,
                    const proto::ListContainersRequest* request,
                    proto::ListContainersResponse* response) override;
  grpc::Status Find(grpc::ServerContext* context,
                    const proto::ContainerRef* request,
                    proto::ContainerRecord* response) override;
  grpc::Status Logs(grpc::ServerContext* context,
                    const proto::LogsRequest* request,
                    grpc::ServerWriter<proto::LogLine>* writer) override;
  grpc::Status Stop(grpc::ServerContext* context,
                    const proto::StopContainerRequest* request,
                    proto::ContainerRecord* response) override;
  grpc::Status Remove(grpc::ServerContext* context,
                      const proto::RemoveContainerRequest* request,
                      proto::ContainerRecord* response) override;

 private:
  ContainerManager* manager_;
};

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_CONTAINER_SERVICE_H_
