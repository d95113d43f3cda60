// CacheMetrics: a cache's Prometheus series, read from CacheAdmin::Stats()
// at each scrape: what it holds, its hits and misses, evictions, and the
// bytes in and out. farm-cache serves them, and so does a scheduler whose
// cache is embedded (one with a farm-cache leaves them to it, so that a sum
// over targets counts each cache once).
#ifndef FARM_CACHE_CACHE_METRICS_H_
#define FARM_CACHE_CACHE_METRICS_H_

#include <vector>

#include "cache/cache_admin.h"
#include "prometheus/collectable.h"

namespace farm::cache {

class CacheMetrics : public prometheus::Collectable {
 public:
  // `admin` is not owned and must outlive this (thread-safe, as every
  // CacheAdmin).
  explicit CacheMetrics(CacheAdmin* admin) : admin_(admin) {}

  // No series when Stats() fails: a gap in the graphs, not false zeros.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  CacheAdmin* admin_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_CACHE_METRICS_H_
