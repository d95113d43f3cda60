#include "cache/cache_metrics.h"

#include "common/logging.h"
#include "metrics/families.h"

namespace farm::cache {

using metrics::CounterFamily;
using metrics::GaugeFamily;

std::vector<prometheus::MetricFamily> CacheMetrics::Collect() const {
  absl::StatusOr<CacheStats> stats = admin_->Stats();
  if (!stats.ok()) {
    FARM_LOG(WARNING) << "cache metrics: " << stats.status();
    return {};
  }
  const CacheStats& s = *stats;
  return {
      GaugeFamily("farm_cache_bytes", "Bytes of the blobs the cache holds",
                  s.blob_bytes),
      GaugeFamily("farm_cache_blobs", "Blobs the cache holds", s.blob_count),
      GaugeFamily("farm_cache_max_bytes",
                  "The cache's byte budget (0: no budget)", s.max_bytes),
      CounterFamily("farm_cache_evictions_total",
                    "Blobs removed by the byte budget or a prune", s.evictions),
      CounterFamily("farm_cache_evicted_bytes_total",
                    "Bytes of the blobs removed by the byte budget or a prune",
                    s.evicted_bytes),
      CounterFamily("farm_cache_corrupt_blobs_total",
                    "Blobs that failed their digest when read, and were "
                    "removed",
                    s.corrupt_blobs),
      CounterFamily("farm_cache_blob_hits_total", "Reads of a stored blob",
                    s.blob_hits),
      CounterFamily("farm_cache_blob_misses_total",
                    "Reads of a blob the cache does not hold", s.blob_misses),
      CounterFamily("farm_cache_written_bytes_total",
                    "Blob bytes of committed uploads (bytes in)",
                    s.bytes_written),
      CounterFamily("farm_cache_read_bytes_total",
                    "Blob bytes streamed to readers (bytes out)", s.bytes_read),
      GaugeFamily("farm_action_cache_entries", "Action results the cache holds",
                  s.action_entries),
      CounterFamily("farm_action_cache_hits_total",
                    "Action-cache lookups that found a result", s.action_hits),
      CounterFamily("farm_action_cache_misses_total",
                    "Action-cache lookups that found none", s.action_misses),
      CounterFamily("farm_action_cache_conflicts_total",
                    "Action results dropped because their key already had "
                    "another one",
                    s.action_conflicts),
  };
}

}  // namespace farm::cache
