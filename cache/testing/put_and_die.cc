// put_and_die ROOT SIZE SEED: opens the RocksDB cache at ROOT, stores SIZE
// test bytes from SEED with a 4 KiB chunk size, and exits at once without
// closing anything, as a killed process would. A test then checks what a
// reopened cache still has.
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "cache/rocksdb_cache.h"

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  farm::cache::RocksDbCache::Options options;
  options.root = argv[1];
  options.chunk_size = 4096;
  options.min_blob_size = 1024;
  std::mt19937_64 rng(std::strtoull(argv[3], nullptr, 10));
  std::string data(std::strtoull(argv[2], nullptr, 10), '\0');
  for (char& c : data) c = static_cast<char>(rng());
  absl::StatusOr<std::unique_ptr<farm::cache::RocksDbCache>> cache =
      farm::cache::RocksDbCache::Open(options);
  if (!cache.ok()) _exit(3);
  if (!farm::cache::PutBlob(*(*cache)->blobs(), data).ok()) _exit(4);
  _exit(0);
}
