// SourceKey: the name under which a stage job carries the layers of a
// COPY --from / RUN --mount from= source (StageJob.sources), so the
// scheduler that fills the map and the worker that reads it agree.
#ifndef FARM_PLANNER_SOURCE_KEY_H_
#define FARM_PLANNER_SOURCE_KEY_H_

#include <string>

#include "proto/plan.pb.h"

namespace farm::planner {

// "stage N" for an earlier stage, "image REF" for an image.
std::string SourceKey(const proto::StageRef& ref);

}  // namespace farm::planner

#endif  // FARM_PLANNER_SOURCE_KEY_H_
