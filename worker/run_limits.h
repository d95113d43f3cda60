// The RUN limits a build asks for (proto::RunLimits, `farm build --run-*`)
// as the executor's ResourceLimits, and back.
#ifndef FARM_WORKER_RUN_LIMITS_H_
#define FARM_WORKER_RUN_LIMITS_H_

#include "proto/build.pb.h"
#include "worker/executor/executor.h"

namespace farm::worker {

// Negative values count as unset (0).
executor::ResourceLimits FromProto(const proto::RunLimits& limits);
proto::RunLimits ToProto(const executor::ResourceLimits& limits);

}  // namespace farm::worker

#endif  // FARM_WORKER_RUN_LIMITS_H_
