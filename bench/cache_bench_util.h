// Shared set-up for the cache benchmarks: a RocksDB cache in a temp dir, the
// same cache behind a loopback gRPC server, and blob payloads.
#ifndef FARM_BENCH_CACHE_BENCH_UTIL_H_
#define FARM_BENCH_CACHE_BENCH_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "auth/authenticator.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "common/random_bytes.h"

namespace farm::bench {

// A RocksDB cache in a fresh temp dir, removed on destruction.
class BenchCache {
 public:
  // `file_threshold`: see RocksDbCache::Options (0 keeps every blob in
  // chunks).
  explicit BenchCache(
      cache::ChunkStorage storage = cache::ChunkStorage::kBlobFiles,
      uint64_t max_bytes = 0, uint32_t chunk_size = 1 << 20,
      uint64_t file_threshold = cache::RocksDbCache::Options().file_threshold);
  ~BenchCache();
  cache::RocksDbCache& cache() { return *cache_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unique_ptr<cache::RocksDbCache> cache_;
};

// BenchCache served on 127.0.0.1 with a RemoteBlobStore connected to it.
class LoopbackCache {
 public:
  LoopbackCache();
  ~LoopbackCache();
  cache::RocksDbCache& local() { return local_.cache(); }
  cache::RemoteBlobStore& remote() { return *remote_; }

 private:
  BenchCache local_;
  std::unique_ptr<cache::BlobCheckingActionCache> actions_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  std::unique_ptr<cache::CacheService> service_;
  cache::RunningServer server_;
  std::unique_ptr<cache::RemoteBlobStore> remote_;
};

// Bytes this process has written through write(2) and friends so far
// (/proc/self/io wchar), RocksDB's background threads included.
uint64_t ProcessWriteBytes();
// Total size of the files under `dir`.
uint64_t DirBytes(const std::string& dir);
// Streams a blob into a sink that discards it; returns the byte count.
uint64_t ReadAndDiscard(cache::BlobStore& store, const Digest& digest);

}  // namespace farm::bench

#endif  // FARM_BENCH_CACHE_BENCH_UTIL_H_
