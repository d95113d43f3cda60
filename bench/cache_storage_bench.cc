// Where should layer chunks live: in RocksDB's integrated BlobDB blob files,
// or inline in the LSM tree? A churn workload under a byte budget (so
// evictions delete data and compactions run) measured for both, reporting
// put and get throughput, write amplification and disk use. docs/cache.md
// quotes the figures.
#include <chrono>
#include <string>
#include <vector>

#include "bench/cache_bench_util.h"
#include "benchmark/benchmark.h"
#include "common/digest.h"

namespace farm::bench {
namespace {

constexpr uint64_t kBlobBytes = 32 << 20;
constexpr int kBlobs = 48;                  // 1.5 GiB written in all
constexpr uint64_t kBudget = 512ull << 20;  // holds 16 blobs

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

void BM_Churn(benchmark::State& state) {
  auto storage = static_cast<cache::ChunkStorage>(state.range(0));
  uint32_t chunk_size = static_cast<uint32_t>(state.range(1)) << 10;
  std::vector<std::string> data;
  std::vector<Digest> digests;
  for (int i = 0; i < kBlobs; ++i) {
    data.push_back(RandomBytes(kBlobBytes, 1000 + i));
    digests.push_back(Digest::Of(data.back()));
  }
  for (auto _ : state) {
    BenchCache cache(storage, kBudget, chunk_size);
    cache::BlobStore& store = *cache.cache().blobs();
    uint64_t written_before = ProcessWriteBytes();
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBlobs; ++i) {
      auto writer = store.Put(digests[i]);
      if (!writer.ok() || !(*writer)->Write(data[i]).ok() ||
          !(*writer)->Commit().ok()) {
        abort();
      }
    }
    double put_seconds = Seconds(start);
    uint64_t written = ProcessWriteBytes() - written_before;

    start = std::chrono::steady_clock::now();
    uint64_t read = 0;
    for (int i = kBlobs - 16; i < kBlobs; ++i) {
      read += ReadAndDiscard(store, digests[i]);
    }
    double get_seconds = Seconds(start);

    uint64_t disk_before_prune = DirBytes(cache.dir());
    start = std::chrono::steady_clock::now();
    cache::PruneOptions prune;
    prune.target_bytes = kBudget / 2;
    if (!cache.cache().Prune(prune).ok()) abort();
    double prune_seconds = Seconds(start);
    uint64_t disk_after_prune = DirBytes(cache.dir());

    double mib = 1 << 20;
    state.counters["put_MiB/s"] = kBlobs * kBlobBytes / mib / put_seconds;
    state.counters["get_MiB/s"] = read / mib / get_seconds;
    state.counters["write_amp"] = double(written) / (kBlobs * kBlobBytes);
    state.counters["disk_MiB"] = disk_before_prune / mib;
    state.counters["prune_s"] = prune_seconds;
    state.counters["disk_after_prune_MiB"] = disk_after_prune / mib;
  }
}

// Args: storage (0 blob files, 1 inline), chunk size in KiB.
BENCHMARK(BM_Churn)
    ->ArgNames({"inline", "chunk_KiB"})
    ->Args({0, 1024})
    ->Args({1, 1024})
    ->Args({0, 4096})
    ->Args({1, 4096})
    ->Args({0, 256})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace farm::bench

BENCHMARK_MAIN();
