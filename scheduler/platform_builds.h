// PlatformBuilds: the coordinators of one build, one per target platform
// (`farm build --platform linux/amd64,linux/arm64`), behind one numbering of
// stage jobs. A build for one platform has one coordinator and numbers its
// jobs by stage index, as before. Stages that are the same work for every
// platform (a `FROM --platform=$BUILDPLATFORM` stage that reads no TARGET*
// argument) get the same cache keys, so the job scheduler runs them once
// and gives the result to every platform that waits for it.
#ifndef FARM_SCHEDULER_PLATFORM_BUILDS_H_
#define FARM_SCHEDULER_PLATFORM_BUILDS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "proto/worker.pb.h"
#include "scheduler/build_coordinator.h"

namespace farm::scheduler {

class PlatformBuilds {
 public:
  struct Entry {
    std::string platform;  // normalised, "linux/arm64"
    std::unique_ptr<BuildCoordinator> coordinator;
    bool done = false;
    absl::Status status;
    proto::StageOutput output;  // the target stage's, when ok
    bool fully_cached = false;
  };

  // kInvalidArgument for a plan with more stages than a job number holds.
  absl::Status Add(std::string platform, BuildSpec spec);

  size_t size() const { return entries_.size(); }
  bool several() const { return entries_.size() > 1; }
  Entry& at(size_t platform) { return entries_.at(platform); }
  const Entry& at(size_t platform) const { return entries_.at(platform); }

  // The stage number a job of `stage` of platform `platform` carries
  // through the scheduler core, and back.
  static int JobStage(size_t platform, int stage);
  static std::pair<size_t, int> Split(int job_stage);

  bool all_done() const;
  // The first failure, else ok.
  absl::Status status() const;
  bool fully_cached() const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_PLATFORM_BUILDS_H_
