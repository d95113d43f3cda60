// Where should layer chunks live: in RocksDB's integrated BlobDB blob files,
// or inline in the LSM tree? A churn workload under a byte budget (so
// evictions delete data and compactions run) measured for both, reporting
// put and get throughput, write amplification and disk use. Then: should a
// large blob be chunks at all, or a plain file (file_threshold)? One 300 MB
// layer stored and read both ways. docs/cache.md quotes the figures.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/cache_bench_util.h"
#include "benchmark/benchmark.h"
#include "common/digest.h"
#include "common/fs.h"

namespace farm::bench {
namespace {

constexpr uint64_t kBlobBytes = 32 << 20;
constexpr int kBlobs = 48;                  // 1.5 GiB written in all
constexpr uint64_t kBudget = 512ull << 20;  // holds 16 blobs

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// Uploads as the cache service does: 1 MiB messages, then Commit.
void PutInPieces(cache::BlobStore& store, const Digest& digest,
                 const std::string& data) {
  auto writer = store.Put(digest);
  if (!writer.ok()) abort();
  for (size_t at = 0; at < data.size(); at += 1 << 20) {
    if (!(*writer)->Write(absl::string_view(data).substr(at, 1 << 20)).ok()) {
      abort();
    }
  }
  if (!(*writer)->Commit().ok()) abort();
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
    // Chunks only: this row compares where chunks live.
    BenchCache cache(storage, kBudget, chunk_size, /*file_threshold=*/0);
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

// One 300 MB layer, put (in 1 MiB pieces, then Commit) and read back, as
// 1 MiB RocksDB chunks (file_threshold 0) or as a plain file (the default
// 8 MiB threshold). Get reads what Put just wrote, so mostly from the page
// cache, as a layer pulled right after its build would be.
void BM_LargeBlob(benchmark::State& state) {
  uint64_t file_threshold = static_cast<uint64_t>(state.range(0)) << 20;
  const uint64_t size = 300'000'000;
  std::string data = RandomBytes(size, 77);
  Digest digest = Digest::Of(data);
  double put_total = 0, get_total = 0;
  uint64_t written_total = 0;
  for (auto _ : state) {
    BenchCache cache(cache::ChunkStorage::kBlobFiles, 0, 1 << 20,
                         file_threshold);
    cache::BlobStore& store = *cache.cache().blobs();
    uint64_t written_before = ProcessWriteBytes();
    auto start = std::chrono::steady_clock::now();
    PutInPieces(store, digest, data);
    put_total += Seconds(start);
    written_total += ProcessWriteBytes() - written_before;
    start = std::chrono::steady_clock::now();
    if (ReadAndDiscard(store, digest) != size) abort();
    get_total += Seconds(start);
  }
  double runs = state.iterations();
  double mb = 1e6;
  state.counters["put_s"] = put_total / runs;
  state.counters["get_s"] = get_total / runs;
  state.counters["put_MB/s"] = size / mb / (put_total / runs);
  state.counters["get_MB/s"] = size / mb / (get_total / runs);
  state.counters["write_amp"] = double(written_total) / (size * runs);
}

// Arg: file threshold in MiB (0: chunks only).
BENCHMARK(BM_LargeBlob)
    ->ArgName("file_threshold_MiB")
    ->Arg(0)
    ->Arg(8)
    ->Iterations(3)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace farm::bench

BENCHMARK_MAIN();
