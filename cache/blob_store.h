// BlobStore: the content-addressed store (CAS) every worker shares for layer
// blobs. A blob is named by the sha256 of its bytes, so every read and every
// write is checked against its name.
#ifndef FARM_CACHE_BLOB_STORE_H_
#define FARM_CACHE_BLOB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::cache {

struct BlobInfo {
  Digest digest;
  uint64_t size = 0;
};

// Streams one blob into a store. Not thread-safe: one writer belongs to one
// caller. Destroying a writer without a successful Commit discards
// everything written; nothing ever becomes visible.
class BlobWriter : public ByteWriter {
 public:
  // Appends bytes. kFailedPrecondition after Commit; other errors (I/O,
  // kUnavailable from a remote store) leave the writer unusable.
  absl::Status Write(absl::string_view data) override = 0;
  // Checks that the bytes written hash to the digest given to Put, then makes
  // the blob visible to every reader at once. Errors: kInvalidArgument on a
  // digest mismatch (nothing becomes visible), kResourceExhausted when the
  // blob is larger than the store's whole budget. Committing a blob that is
  // already stored succeeds and keeps one copy.
  virtual absl::Status Commit() = 0;
  // ByteWriter's end of stream is a Commit, so Copy() and friends work.
  absl::Status Close() override { return Commit(); }
};

// Implementations are thread-safe: every method may be called concurrently,
// and readers and writers may be used on other threads than their creator's.
class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Returns the digests that are not stored, in input order, each once.
  // Counts as an access for LRU eviction of the present ones.
  virtual absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) = 0;

  // Streams a blob. kNotFound if it is not stored. The reader hashes what it
  // returns; if the bytes do not match the digest, the final Read returns
  // kDataLoss instead of end of stream, and the blob is removed so later
  // calls see it as missing. A reader stays valid if the blob is deleted or
  // evicted while it streams.
  virtual absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) = 0;

  // Starts an upload of the blob named `digest`. See BlobWriter.
  virtual absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) = 0;

  // Removes a blob. Removing a blob that is not stored is OK. Readers that
  // are already open keep working.
  virtual absl::Status Delete(const Digest& digest) = 0;

  // Size of a stored blob without reading it; kNotFound if not stored.
  virtual absl::StatusOr<BlobInfo> Stat(const Digest& digest) = 0;

  // Stores the regular file at `path` as the blob `digest`, for a caller in
  // this process that hashed the bytes as it wrote them. This default
  // streams the file through Put, which checks the digest, and leaves the
  // file where it is. A store that keeps big blobs as files may take the
  // file itself instead, by renaming it, and not read it again: a big layer
  // then costs no copy. Reads still check every blob against its name.
  // Errors: Put's, the file's.
  virtual absl::Status PutFile(const Digest& digest, const std::string& path);

  // Reads small blobs whole, for a caller that needs many at once (a build
  // context's files): in input order, each blob's bytes, checked against
  // its digest, or that blob's error (kNotFound, kDataLoss...). This default
  // calls Get for each; a remote store asks for many in one round trip, so
  // keep a call's blobs to about RemoteOptions::max_batch_bytes in all.
  virtual std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests);
};

// Stores `data` under its own digest: Put, Write, Commit.
absl::Status PutBlob(BlobStore& store, absl::string_view data);
// Reads a whole blob into memory (at most `max_bytes`), verifying it.
absl::StatusOr<std::string> GetBlob(BlobStore& store, const Digest& digest,
                                    size_t max_bytes = size_t{1} << 30);

}  // namespace farm::cache

#endif  // FARM_CACHE_BLOB_STORE_H_
