// Which cache mounts (RUN --mount=type=cache) a stage job uses, read from
// its typed instructions, and the digest placement ranks workers by to send
// the job where its cache already is (WorkerPool::Preferred).
#ifndef FARM_SCHEDULER_CACHE_MOUNT_AFFINITY_H_
#define FARM_SCHEDULER_CACHE_MOUNT_AFFINITY_H_

#include <optional>
#include <string>

#include "common/digest.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

// Whether any RUN of the job mounts a cache, cached steps included.
bool UsesCacheMounts(const proto::StageJob& job);

// sha256 of "tenant\0id" for the first cache mount of a RUN the job will
// run (a step the action cache answered runs nothing); the id is the
// mount's target when it has none, as the worker keys its directories.
// nullopt when no such RUN mounts a cache.
std::optional<Digest> CacheMountAffinity(const proto::StageJob& job);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_CACHE_MOUNT_AFFINITY_H_
