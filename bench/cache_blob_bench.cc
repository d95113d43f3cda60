// Blob put and get on the RocksDB cache, locally and over loopback gRPC, for
// 1 KiB, 1 MiB and 256 MiB blobs. Baselines in the same run: the same bytes
// written to and read from plain files in the same directory, and a file
// read plus sha256 (the work a verified read cannot avoid).
#include <string>
#include <vector>

#include "bench/cache_bench_util.h"
#include "benchmark/benchmark.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/io.h"

namespace farm::bench {
namespace {

// Distinct blobs of one size, at most 64 MiB of them.
struct Pool {
  std::vector<std::string> data;
  std::vector<Digest> digests;
};

Pool MakePool(size_t size) {
  Pool pool;
  size_t count = std::max<size_t>(1, std::min<size_t>(1024, (64 << 20) / size));
  for (size_t i = 0; i < count; ++i) {
    pool.data.push_back(RandomBytes(size, i + 1));
    pool.digests.push_back(Digest::Of(pool.data.back()));
  }
  return pool;
}

void Put(cache::BlobStore& store, const Digest& digest,
         const std::string& data) {
  auto writer = store.Put(digest);
  if (!writer.ok() || !(*writer)->Write(data).ok() ||
      !(*writer)->Commit().ok()) {
    abort();
  }
}

void PutLoop(benchmark::State& state, cache::BlobStore& store) {
  Pool pool = MakePool(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    if (i == pool.data.size()) {
      // Every blob of the pool is stored: delete them and start again.
      state.PauseTiming();
      for (const Digest& digest : pool.digests)
        store.Delete(digest).IgnoreError();
      i = 0;
      state.ResumeTiming();
    }
    Put(store, pool.digests[i], pool.data[i]);
    ++i;
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void GetLoop(benchmark::State& state, cache::BlobStore& store) {
  Pool pool = MakePool(state.range(0));
  for (size_t i = 0; i < pool.data.size(); ++i) {
    Put(store, pool.digests[i], pool.data[i]);
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ReadAndDiscard(store, pool.digests[i]));
    i = (i + 1) % pool.data.size();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_LocalPut(benchmark::State& state) {
  BenchCache cache;
  PutLoop(state, *cache.cache().blobs());
}

void BM_LocalGet(benchmark::State& state) {
  BenchCache cache;
  GetLoop(state, *cache.cache().blobs());
}

void BM_RemotePut(benchmark::State& state) {
  LoopbackCache cache;
  PutLoop(state, cache.remote());
}

void BM_RemoteGet(benchmark::State& state) {
  LoopbackCache cache;
  GetLoop(state, cache.remote());
}

void BM_FileWriteBaseline(benchmark::State& state) {
  BenchCache cache;  // for its directory on the same disk
  Pool pool = MakePool(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    auto writer = OpenFileWriter(cache.dir() + "/file" + std::to_string(i));
    if (!writer.ok() || !(*writer)->Write(pool.data[i]).ok() ||
        !(*writer)->Close().ok()) {
      abort();
    }
    i = (i + 1) % pool.data.size();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void FileReadLoop(benchmark::State& state, bool hash) {
  BenchCache cache;
  Pool pool = MakePool(state.range(0));
  for (size_t i = 0; i < pool.data.size(); ++i) {
    if (!WriteFile(cache.dir() + "/file" + std::to_string(i), pool.data[i])
             .ok()) {
      abort();
    }
  }
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  size_t i = 0;
  for (auto _ : state) {
    auto reader = OpenFileReader(cache.dir() + "/file" + std::to_string(i));
    if (!reader.ok()) abort();
    Sha256Hasher hasher;
    while (true) {
      absl::StatusOr<size_t> n = (*reader)->Read(buf.get(), 1 << 20);
      if (!n.ok()) abort();
      if (*n == 0) break;
      if (hash) hasher.Update(buf.get(), *n);
    }
    if (hash) benchmark::DoNotOptimize(hasher.Finish());
    i = (i + 1) % pool.data.size();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_FileReadBaseline(benchmark::State& state) {
  FileReadLoop(state, false);
}
void BM_FileReadSha256Baseline(benchmark::State& state) {
  FileReadLoop(state, true);
}

#define FARM_BLOB_SIZES               \
  Arg(1 << 10)                        \
      ->Arg(1 << 20)                  \
      ->Arg(256 << 20)                \
      ->Unit(benchmark::kMicrosecond) \
      ->UseRealTime()

BENCHMARK(BM_FileWriteBaseline)->FARM_BLOB_SIZES;
BENCHMARK(BM_LocalPut)->FARM_BLOB_SIZES;
BENCHMARK(BM_RemotePut)->FARM_BLOB_SIZES;
BENCHMARK(BM_FileReadBaseline)->FARM_BLOB_SIZES;
BENCHMARK(BM_FileReadSha256Baseline)->FARM_BLOB_SIZES;
BENCHMARK(BM_LocalGet)->FARM_BLOB_SIZES;
BENCHMARK(BM_RemoteGet)->FARM_BLOB_SIZES;

}  // namespace
}  // namespace farm::bench

BENCHMARK_MAIN();
