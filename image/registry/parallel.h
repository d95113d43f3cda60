// RunBounded: runs independent tasks on at most `limit` threads, so layers
// move in parallel without opening a connection per layer.
#ifndef FARM_IMAGE_REGISTRY_PARALLEL_H_
#define FARM_IMAGE_REGISTRY_PARALLEL_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"

namespace farm::image::registry {

// Runs every task, at most `limit` at a time, and returns the error of the
// first failed task in list order (OK if none failed). After a failure no
// new task starts; running ones finish.
absl::Status RunBounded(const std::vector<std::function<absl::Status()>>& tasks,
                        int limit);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_PARALLEL_H_
