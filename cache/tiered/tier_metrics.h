// TierMetrics: how a farm-cache node's RocksDB tier serves in front of the
// object store, as Prometheus series: reads it had to send to the store,
// and the copies it kept or could not keep.
#ifndef FARM_CACHE_TIERED_TIER_METRICS_H_
#define FARM_CACHE_TIERED_TIER_METRICS_H_

#include <vector>

#include "cache/tiered/read_through_blob_store.h"
#include "prometheus/collectable.h"

namespace farm::cache {

class TierMetrics : public prometheus::Collectable {
 public:
  // `store` is not owned and must outlive this.
  explicit TierMetrics(const ReadThroughBlobStore* store) : store_(store) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const ReadThroughBlobStore* store_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_TIERED_TIER_METRICS_H_
