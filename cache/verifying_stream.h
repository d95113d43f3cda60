// The digest checks every BlobStore shares: a reader that hashes what it
// streams and reports kDataLoss at the end on a mismatch, and a writer base
// that hashes what it is given and refuses to commit the wrong bytes.
#ifndef FARM_CACHE_VERIFYING_STREAM_H_
#define FARM_CACHE_VERIFYING_STREAM_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "cache/blob_store.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::cache {

// Passes `inner` through, hashing it. At end of stream, if the hash is not
// `expected`, calls `on_corrupt` once and returns kDataLoss. A kDataLoss
// from `inner` itself (a lost chunk, a failed checksum) also calls
// `on_corrupt`. Adds the bytes it returns to `bytes_read` when given one
// (CacheCounters::bytes_read). Not thread-safe, like any ByteReader.
class VerifyingReader : public ByteReader {
 public:
  VerifyingReader(std::unique_ptr<ByteReader> inner, Digest expected,
                  std::function<void()> on_corrupt,
                  std::atomic<uint64_t>* bytes_read = nullptr);
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;

 private:
  absl::Status Fail(absl::Status status);

  std::unique_ptr<ByteReader> inner_;
  Digest expected_;
  std::function<void()> on_corrupt_;
  std::atomic<uint64_t>* bytes_read_;
  Sha256Hasher hasher_;
  absl::Status error_;
  bool done_ = false;
};

// A BlobWriter that hashes every byte and calls Append for storage; Commit
// calls Finish only when the hash matches. Subclasses clean up in their
// destructor when Finish was never reached.
class HashingBlobWriter : public BlobWriter {
 public:
  explicit HashingBlobWriter(Digest expected) : expected_(expected) {}
  absl::Status Write(absl::string_view data) final;
  absl::Status Commit() final;

 protected:
  const Digest& expected() const { return expected_; }
  // Stores the next bytes of the blob.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Makes the verified blob of `size` bytes visible.
  virtual absl::Status Finish(uint64_t size) = 0;

 private:
  Digest expected_;
  Sha256Hasher hasher_;
  absl::Status error_;  // sticky
  bool closed_ = false;
};

// The message of the kInvalidArgument that a wrong upload gets, shared so
// that every store (and the remote client) says the same thing.
absl::Status DigestMismatchError(const Digest& expected, const Digest& actual,
                                 uint64_t size);

}  // namespace farm::cache

#endif  // FARM_CACHE_VERIFYING_STREAM_H_
