#include "dashboard/farm_history.h"

#include <algorithm>

namespace farm::dashboard {

void FarmHistory::Sample(absl::Time now,
                         const proto::ListWorkersResponse& workers,
                         const std::optional<cache::CacheStats>& cache) {
  const int64_t t_ms = absl::ToUnixMillis(now);
  absl::MutexLock lock(&mu_);
  std::map<std::string, proto::WorkerSummary> present;
  for (const proto::WorkerSummary& worker : workers.workers()) {
    present[worker.worker_id()] = worker;
    lost_.erase(worker.worker_id());  // it came back
    std::deque<LoadSample>& series = load_[worker.worker_id()];
    series.push_back({t_ms, worker.running_jobs()});
    while (series.size() > samples_) series.pop_front();
  }
  for (const auto& [id, worker] : present_) {
    if (present.count(id) == 0) lost_[id] = {worker, now};
  }
  present_ = std::move(present);
  for (auto it = lost_.begin(); it != lost_.end();) {
    if (now - it->second.lost_at > keep_lost_) {
      load_.erase(it->first);
      it = lost_.erase(it);
    } else {
      ++it;
    }
  }
  if (!cache.has_value()) return;
  CacheSample sample;
  sample.t_ms = t_ms;
  sample.blob_bytes = static_cast<int64_t>(cache->blob_bytes);
  if (last_cache_.has_value()) {
    // Counters restart with the cache; a drop means a new baseline.
    const uint64_t hits = cache->action_hits >= last_cache_->action_hits
                              ? cache->action_hits - last_cache_->action_hits
                              : cache->action_hits;
    const uint64_t misses =
        cache->action_misses >= last_cache_->action_misses
            ? cache->action_misses - last_cache_->action_misses
            : cache->action_misses;
    if (hits + misses > 0) {
      sample.hit_ratio = static_cast<double>(hits) / (hits + misses);
    }
  }
  last_cache_ = cache;
  cache_.push_back(sample);
  while (cache_.size() > samples_) cache_.pop_front();
}

std::vector<LoadSample> FarmHistory::LoadOf(
    const std::string& worker_id) const {
  absl::MutexLock lock(&mu_);
  auto it = load_.find(worker_id);
  if (it == load_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<LostWorker> FarmHistory::Lost() const {
  absl::MutexLock lock(&mu_);
  std::vector<LostWorker> out;
  for (const auto& [id, lost] : lost_) out.push_back(lost);
  std::sort(out.begin(), out.end(),
            [](const LostWorker& a, const LostWorker& b) {
              return a.lost_at > b.lost_at;
            });
  return out;
}

std::vector<CacheSample> FarmHistory::Cache() const {
  absl::MutexLock lock(&mu_);
  return {cache_.begin(), cache_.end()};
}

}  // namespace farm::dashboard
