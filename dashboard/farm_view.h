// FarmView: what the dashboard reads of a farm, and the one thing it may
// change (cancel a build). The scheduler implements it over its sessions,
// core, cache and image stores (scheduler/dashboard_view.h); the
// dashboard's tests use a fake. Implementations are thread-safe.
#ifndef FARM_DASHBOARD_FARM_VIEW_H_
#define FARM_DASHBOARD_FARM_VIEW_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/cache_admin.h"
#include "proto/build.pb.h"
#include "proto/worker.pb.h"
#include "scheduler/build_outline.h"

namespace farm::dashboard {

// One build the farm holds, running or finished.
class BuildHandle {
 public:
  virtual ~BuildHandle() = default;
  virtual proto::BuildSummary Summary() = 0;
  virtual scheduler::BuildOutline Outline() = 0;
  // Progress events after sequence `after` (at most `limit`), waiting up to
  // `wait` for the first.
  virtual scheduler::EventPage EventsAfter(int64_t after, size_t limit,
                                           absl::Duration wait) = 0;
  // As the build's client cancelling it; a finished build ignores it.
  virtual void Cancel(const std::string& reason) = 0;
};

struct WorkersReport {
  proto::ListWorkersResponse workers;
  int64_t jobs_queued = 0;
  int64_t jobs_running = 0;
};

// A stored image and the layers it keeps in the cache.
struct StoredImage {
  std::string tenant;
  std::vector<std::string> tags;
  std::string id;                                       // config digest
  std::vector<std::pair<std::string, int64_t>> layers;  // digest, bytes
};

class FarmView {
 public:
  virtual ~FarmView() = default;
  // Every tenant's builds, oldest first.
  virtual std::vector<proto::BuildSummary> Builds() = 0;
  // Null when the farm holds no build `id` (never ran, or long forgotten).
  virtual std::shared_ptr<BuildHandle> FindBuild(const std::string& id) = 0;
  virtual WorkersReport Workers() = 0;
  // The layer cache's counters; an error when the cache does not answer.
  virtual absl::StatusOr<cache::CacheStats> CacheStats() = 0;
  // Every tenant's stored images, tagged or not.
  virtual std::vector<StoredImage> Images() = 0;
};

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_FARM_VIEW_H_
