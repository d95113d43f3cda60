// BuildOutline and EventPage: what a build session shows of itself to the
// dashboard, besides its summary: the Dockerfile, the stage graph of each
// target platform, and its progress events page by page.
#ifndef FARM_SCHEDULER_BUILD_OUTLINE_H_
#define FARM_SCHEDULER_BUILD_OUTLINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "proto/build.pb.h"
#include "proto/plan.pb.h"

namespace farm::scheduler {

struct PlatformGraph {
  std::string platform;  // "" in a build for one platform
  proto::StageGraph graph;
};

struct BuildOutline {
  std::string dockerfile_name;  // "Dockerfile"
  std::string dockerfile;       // its text
  std::vector<PlatformGraph> graphs;
};

struct EventPage {
  std::vector<proto::BuildEvent> events;
  // The build has finished and no event after the last one is left.
  bool done = false;
  int64_t last_sequence = 0;  // of the newest event the build has sent
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_BUILD_OUTLINE_H_
