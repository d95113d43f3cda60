// BuildService: the gRPC face of builds. Build streams start a
// BuildSession (or re-attach to one) and relay messages both ways;
// ListBuilds reports running and recent builds.
#ifndef FARM_SCHEDULER_SERVICE_BUILD_SERVICE_H_
#define FARM_SCHEDULER_SERVICE_BUILD_SERVICE_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "proto/build.grpc.pb.h"
#include "scheduler/build_session.h"

namespace farm::scheduler {

class BuildService final : public proto::BuildService::Service {
 public:
  explicit BuildService(SessionDeps deps) : deps_(std::move(deps)) {}
  // Waits for running sessions to end.
  ~BuildService() override;

  grpc::Status Build(grpc::ServerContext* context,
                     grpc::ServerReaderWriter<proto::BuildServerMessage,
                                              proto::BuildClientMessage>*
                         stream) override;
  grpc::Status ListBuilds(grpc::ServerContext* context,
                          const proto::ListBuildsRequest* request,
                          proto::ListBuildsResponse* response) override;

 private:
  std::shared_ptr<BuildSession> StartSession();
  std::shared_ptr<BuildSession> FindSession(const std::string& id);

  SessionDeps deps_;
  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, std::shared_ptr<BuildSession>> sessions_
      ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SERVICE_BUILD_SERVICE_H_
