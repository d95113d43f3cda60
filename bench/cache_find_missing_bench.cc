// FindMissing of 10,000 digests (half of them stored) over loopback gRPC,
// next to the same call made in-process on the same RocksDB store.
#include <string>
#include <vector>

#include "bench/cache_bench_util.h"
#include "benchmark/benchmark.h"
#include "common/digest.h"

namespace farm::bench {
namespace {

constexpr int kDigests = 10'000;

// Stores every other one of kDigests small blobs; returns all the digests.
std::vector<Digest> HalfStored(cache::BlobStore& store) {
  std::vector<Digest> digests;
  for (int i = 0; i < kDigests; ++i) {
    std::string data = "blob " + std::to_string(i);
    digests.push_back(Digest::Of(data));
    if (i % 2 == 0 && !cache::PutBlob(store, data).ok()) abort();
  }
  return digests;
}

void Run(benchmark::State& state, cache::BlobStore& store,
         const std::vector<Digest>& digests) {
  for (auto _ : state) {
    absl::StatusOr<std::vector<Digest>> missing = store.FindMissing(digests);
    if (!missing.ok() || missing->size() != kDigests / 2) abort();
  }
  state.counters["digests/s"] = benchmark::Counter(
      double(state.iterations()) * kDigests, benchmark::Counter::kIsRate);
}

void BM_FindMissingLocal(benchmark::State& state) {
  BenchCache cache;
  std::vector<Digest> digests = HalfStored(*cache.cache().blobs());
  Run(state, *cache.cache().blobs(), digests);
}

void BM_FindMissingLoopbackGrpc(benchmark::State& state) {
  LoopbackCache cache;
  std::vector<Digest> digests = HalfStored(*cache.local().blobs());
  Run(state, cache.remote(), digests);
}

BENCHMARK(BM_FindMissingLocal)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FindMissingLoopbackGrpc)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace farm::bench

BENCHMARK_MAIN();
