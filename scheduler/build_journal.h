// BuildJournal: where a leading farm-scheduler writes down the builds it
// runs, so that the scheduler leading after it can resume them (see
// docs/scale.md, "Scheduler failover"). A build is recorded once its context
// is complete in the CAS and forgotten when it ends; whatever is left when
// a leader dies is what its successor resumes.
#ifndef FARM_SCHEDULER_BUILD_JOURNAL_H_
#define FARM_SCHEDULER_BUILD_JOURNAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"

namespace farm::scheduler {

// Implementations are thread-safe and durable once a call returns OK.
class BuildJournal {
 public:
  virtual ~BuildJournal() = default;

  // Records `record` (again: replaces it). kFailedPrecondition when this
  // scheduler no longer leads.
  virtual absl::Status Record(const proto::BuildRecord& record) = 0;
  // Forgets a build that ended; one never recorded is fine.
  virtual absl::Status Forget(const std::string& build_id) = 0;
  // Every build recorded and not forgotten, by id.
  virtual absl::StatusOr<std::vector<proto::BuildRecord>> Unfinished() = 0;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_BUILD_JOURNAL_H_
