// ReadThroughBlobStore: a fast store (a node's RocksDB) in front of a slow
// one that is the source of truth (the object store), as Buildbarn's
// read-caching and NativeLink's fast_slow stores do. Reads that miss the
// fast store come from the slow one and are kept in the fast one on the
// way; writes reach the slow store before they are acknowledged. The fast
// store may therefore lose anything at any time (eviction, a node that
// comes back empty) and nothing is lost.
#ifndef FARM_CACHE_TIERED_READ_THROUGH_BLOB_STORE_H_
#define FARM_CACHE_TIERED_READ_THROUGH_BLOB_STORE_H_

#include <atomic>
#include <cstdint>

#include "cache/blob_store.h"

namespace farm::cache {

// What the tiers did, for logs and tests.
struct ReadThroughCounters {
  std::atomic<uint64_t> fast_hits{0};
  std::atomic<uint64_t> slow_reads{0};     // reads the fast store missed
  std::atomic<uint64_t> fills{0};          // copies kept in the fast store
  std::atomic<uint64_t> fill_failures{0};  // fast store refused a copy
};

// Thread-safe if both stores are. Neither store is owned.
//
// - FindMissing asks the fast store, then the slow one for what the fast
//   one lacks: a blob is present when either holds it. The fast store only
//   ever holds what the slow one had when it was written or read, so this
//   is exact unless a blob is removed from the object store behind farm's
//   back (a bucket lifecycle rule): see docs/scale.md.
// - Get and GetSmall read the fast store, and on kNotFound the slow one. A
//   blob read from the slow store is written into the fast one as it
//   streams and kept only if the whole blob was read and checked.
// - Put writes both as the bytes come; Commit commits the slow store first
//   and fails if it fails, then the fast store, whose failure (its budget,
//   its disk) is only counted. PutFile: slow first, then fast, which may
//   take the file. A blob the fast store already holds goes to the fast
//   store alone (the slow store had it when it was kept).
// - Delete removes from both; Stat asks fast, then slow.
// Errors are the stores' own; a fast store that fails with anything but
// kNotFound on a read is passed over for the slow one.
class ReadThroughBlobStore : public BlobStore {
 public:
  ReadThroughBlobStore(BlobStore* fast, BlobStore* slow)
      : fast_(fast), slow_(slow) {}

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;
  absl::Status PutFile(const Digest& digest, const std::string& path) override;
  std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests) override;

  const ReadThroughCounters& counters() const { return counters_; }

 private:
  BlobStore* fast_;
  BlobStore* slow_;
  ReadThroughCounters counters_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_TIERED_READ_THROUGH_BLOB_STORE_H_
