// FarmHistory: what the dashboard remembers between requests, because the
// farm itself keeps only the present: each worker's load over the last
// minutes (the sparkline), workers that were lost, and the cache's size and
// hit ratio over time. A sampler calls Sample about every few seconds.
// Thread-safe.
#ifndef FARM_DASHBOARD_FARM_HISTORY_H_
#define FARM_DASHBOARD_FARM_HISTORY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/cache_admin.h"
#include "proto/worker.pb.h"

namespace farm::dashboard {

struct LoadSample {
  int64_t t_ms = 0;
  int running = 0;
};

struct CacheSample {
  int64_t t_ms = 0;
  int64_t blob_bytes = 0;
  // Action-cache hits over lookups since the previous sample; none when
  // nothing was looked up.
  std::optional<double> hit_ratio;
};

struct LostWorker {
  proto::WorkerSummary last_seen;
  absl::Time lost_at;
};

class FarmHistory {
 public:
  // Keeps `samples` of each series, and lost workers for `keep_lost`.
  explicit FarmHistory(size_t samples = 120,
                       absl::Duration keep_lost = absl::Minutes(10))
      : samples_(samples), keep_lost_(keep_lost) {}

  // Records the farm at `now`. `cache` is absent when the cache did not
  // answer.
  void Sample(absl::Time now, const proto::ListWorkersResponse& workers,
              const std::optional<cache::CacheStats>& cache);

  std::vector<LoadSample> LoadOf(const std::string& worker_id) const;
  // Workers seen before and gone now, most recently lost first.
  std::vector<LostWorker> Lost() const;
  std::vector<CacheSample> Cache() const;

 private:
  const size_t samples_;
  const absl::Duration keep_lost_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::deque<LoadSample>> load_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, proto::WorkerSummary> present_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, LostWorker> lost_ ABSL_GUARDED_BY(mu_);
  std::deque<CacheSample> cache_ ABSL_GUARDED_BY(mu_);
  std::optional<cache::CacheStats> last_cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_FARM_HISTORY_H_
