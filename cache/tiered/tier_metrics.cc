#include "cache/tiered/tier_metrics.h"

#include "metrics/families.h"

namespace farm::cache {

std::vector<prometheus::MetricFamily> TierMetrics::Collect() const {
  const ReadThroughCounters& c = store_->counters();
  return {
      metrics::CounterFamily("farm_cache_object_store_reads_total",
                             "Blob reads the node did not hold and sent to "
                             "the object store",
                             c.slow_reads.load()),
      metrics::CounterFamily("farm_cache_tier_fills_total",
                             "Blobs the node kept a copy of, on a write or "
                             "a read from the object store",
                             c.fills.load()),
      metrics::CounterFamily("farm_cache_tier_fill_failures_total",
                             "Copies the node could not keep (its budget or "
                             "its disk); the object store still has them",
                             c.fill_failures.load()),
  };
}

}  // namespace farm::cache
