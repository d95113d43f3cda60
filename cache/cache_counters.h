// CacheCounters: the event counters behind CacheStats, shared by the blob
// store and the action cache of one cache so that Stats() reports both.
#ifndef FARM_CACHE_CACHE_COUNTERS_H_
#define FARM_CACHE_CACHE_COUNTERS_H_

#include <atomic>
#include <cstdint>

#include "cache/cache_admin.h"

namespace farm::cache {

// Thread-safe; relaxed atomics, since the counts are only reported.
struct CacheCounters {
  std::atomic<uint64_t> blob_hits{0};
  std::atomic<uint64_t> blob_misses{0};
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> evicted_bytes{0};
  std::atomic<uint64_t> corrupt_blobs{0};
  std::atomic<uint64_t> action_hits{0};
  std::atomic<uint64_t> action_misses{0};
  // Writes that a WriteOnceActionCache dropped: another layer for a key
  // that already had one.
  std::atomic<uint64_t> action_conflicts{0};
  // Blob bytes in (committed uploads) and out (streamed by Get).
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> bytes_read{0};

  static void Add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  // Copies the event counts into `stats`; leaves the other fields alone.
  void CopyTo(CacheStats& stats) const {
    stats.blob_hits = blob_hits.load(std::memory_order_relaxed);
    stats.blob_misses = blob_misses.load(std::memory_order_relaxed);
    stats.evictions = evictions.load(std::memory_order_relaxed);
    stats.evicted_bytes = evicted_bytes.load(std::memory_order_relaxed);
    stats.corrupt_blobs = corrupt_blobs.load(std::memory_order_relaxed);
    stats.action_hits = action_hits.load(std::memory_order_relaxed);
    stats.action_misses = action_misses.load(std::memory_order_relaxed);
    stats.action_conflicts = action_conflicts.load(std::memory_order_relaxed);
    stats.bytes_written = bytes_written.load(std::memory_order_relaxed);
    stats.bytes_read = bytes_read.load(std::memory_order_relaxed);
  }
};

}  // namespace farm::cache

#endif  // FARM_CACHE_CACHE_COUNTERS_H_
