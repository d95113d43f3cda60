// BuildService: the gRPC face of builds. Build streams start a
// BuildSession for the caller's tenant (or re-attach to one of the tenant's
// sessions) and relay messages both ways; ListBuilds reports running and
// recent builds of the caller's tenant, or of every tenant to an admin.
// Finished sessions are kept within SessionLimits, and each session's
// thread is joined soon after it ends.
#ifndef FARM_SCHEDULER_SERVICE_BUILD_SERVICE_H_
#define FARM_SCHEDULER_SERVICE_BUILD_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "auth/authenticator.h"
#include "common/clock.h"
#include "proto/build.grpc.pb.h"
#include "scheduler/build_journal.h"
#include "scheduler/build_session.h"
#include "scheduler/session_table.h"
#include "scheduler/session_threads.h"

namespace farm::scheduler {

class BuildService final : public proto::BuildService::Service {
 public:
  // What a session of `tenant` uses (its image store, cache namespace...).
  using DepsForTenant =
      std::function<absl::StatusOr<SessionDeps>(const std::string& tenant)>;

  // `authenticator` is not owned.
  BuildService(DepsForTenant deps, const auth::Authenticator* authenticator,
               SessionLimits limits = {}, Clock* clock = RealClock::Get())
      : deps_(std::move(deps)),
        authenticator_(authenticator),
        clock_(clock),
        sessions_(limits) {}
  // Waits for running sessions to end.
  ~BuildService() override;

  grpc::Status Build(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::BuildServerMessage,
                               proto::BuildClientMessage>* stream) override;
  grpc::Status ListBuilds(grpc::ServerContext* context,
                          const proto::ListBuildsRequest* request,
                          proto::ListBuildsResponse* response) override;
  grpc::Status Version(grpc::ServerContext* context,
                       const proto::VersionRequest* request,
                       proto::VersionInfo* response) override;

  // Resumes the builds a scheduler that led before this one left in
  // `journal`, each under its id for its tenant; they run whether or not
  // their clients come back. Returns how many; an unreadable journal's
  // error otherwise.
  absl::StatusOr<int> ResumeBuilds(BuildJournal& journal);

  // Every tenant's sessions, oldest first, after letting go of those past
  // the limits (the dashboard's view of builds).
  std::vector<std::shared_ptr<BuildSession>> Sessions();
  // Null when no session has the id.
  std::shared_ptr<BuildSession> FindSession(const std::string& id);

 private:
  // kResourceExhausted when the tenant runs its most builds already.
  absl::StatusOr<std::shared_ptr<BuildSession>> StartSession(SessionDeps deps);
  // Lets go of finished sessions past the limits.
  void Prune();

  DepsForTenant deps_;
  const auth::Authenticator* authenticator_;
  Clock* clock_;
  absl::Mutex mu_;
  SessionTable<BuildSession> sessions_ ABSL_GUARDED_BY(mu_);
  // Declared last: destroyed (joined) first, while the sessions exist.
  SessionThreads threads_;
};

// A new build id: random, so that one build's id says nothing about
// another's and cannot be guessed.
std::string NewBuildId();

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SERVICE_BUILD_SERVICE_H_
