#include "bench/cache_bench_util.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "common/fs.h"

namespace farm::bench {
namespace {

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  abort();
}

}  // namespace

BenchCache::BenchCache(cache::ChunkStorage storage, uint64_t max_bytes,
                       uint32_t chunk_size, uint64_t file_threshold) {
  // Benchmarks measure the disk, so stay off tmpfs-backed TEST_TMPDIR.
  char pattern[] = "/var/tmp/farm_cache_bench_XXXXXX";
  if (mkdtemp(pattern) == nullptr) abort();
  dir_ = pattern;
  cache::RocksDbCache::Options options;
  options.root = dir_ + "/db";
  options.storage = storage;
  options.max_bytes = max_bytes;
  options.chunk_size = chunk_size;
  options.file_threshold = file_threshold;
  absl::StatusOr<std::unique_ptr<cache::RocksDbCache>> opened =
      cache::RocksDbCache::Open(options);
  Check(opened.status(), "opening the bench cache");
  cache_ = std::move(*opened);
}

BenchCache::~BenchCache() {
  cache_.reset();
  RemoveAll(dir_).IgnoreError();
}

LoopbackCache::LoopbackCache() {
  actions_ = std::make_unique<cache::BlobCheckingActionCache>(
      local_.cache().actions(), local_.cache().blobs());
  service_ = std::make_unique<cache::CacheService>(
      local_.cache().blobs(), actions_.get(), &local_.cache(), &open_);
  absl::StatusOr<cache::RunningServer> server =
      cache::StartGrpcServer("127.0.0.1:0", {service_.get()});
  Check(server.status(), "starting the bench server");
  server_ = std::move(*server);
  remote_ = std::make_unique<cache::RemoteBlobStore>(
      cache::DialCache("127.0.0.1:" + std::to_string(server_.port)));
}

LoopbackCache::~LoopbackCache() {
  remote_.reset();
  server_.server->Shutdown();
}

uint64_t ProcessWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
  if (!names.ok()) return 0;
  for (const std::string& name : *names) {
    std::string path = JoinPath(dir, name);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    total += S_ISDIR(st.st_mode) ? DirBytes(path) : st.st_size;
  }
  return total;
}

uint64_t ReadAndDiscard(cache::BlobStore& store, const Digest& digest) {
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = store.Get(digest);
  Check(reader.status(), "opening a blob");
  static thread_local std::unique_ptr<char[]> buf(new char[1 << 20]);
  uint64_t total = 0;
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->Read(buf.get(), 1 << 20);
    Check(n.status(), "reading a blob");
    if (*n == 0) return total;
    total += *n;
  }
}

}  // namespace farm::bench
