// S3Bucket: the object operations farm needs from an S3-compatible bucket,
// with S3's answers turned into absl::Status codes. Keys are given without
// S3Options::prefix; the bucket adds it.
#ifndef FARM_CACHE_S3_S3_BUCKET_H_
#define FARM_CACHE_S3_S3_BUCKET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cache/s3/s3_transport.h"
#include "common/io.h"

namespace farm::cache::s3 {

// Thread-safe. Errors of every method: kUnavailable when the store cannot
// be reached or answers 5xx (it may work later), kPermissionDenied when it
// refuses the credentials or the bucket (403), kNotFound for a missing
// object (or bucket: the message says which), and kUnknown for any other
// answer; messages quote S3's error code.
class S3Bucket {
 public:
  explicit S3Bucket(S3Options options) : transport_(std::move(options)) {}

  // Checks that the bucket exists and takes the credentials, with a GET of
  // an object that need not exist (a HEAD's 404 does not say whether the
  // bucket or the object is missing).
  absl::Status Check();

  // The object's size (HEAD).
  absl::StatusOr<uint64_t> Size(const std::string& key);
  // Sizes of many objects, S3Options::max_parallel HEADs at a time; one
  // answer per key, in order.
  std::vector<absl::StatusOr<uint64_t>> Sizes(
      absl::Span<const std::string> keys);
  // Streams an object; the reader fails with kUnavailable if the
  // connection does.
  absl::StatusOr<std::unique_ptr<ByteReader>> Read(const std::string& key);
  // Reads small objects whole, in parallel; an object longer than
  // `max_bytes` is kResourceExhausted.
  std::vector<absl::StatusOr<std::string>> ReadSmall(
      absl::Span<const std::string> keys, size_t max_bytes);
  // Stores `data`, signed with its own sha256.
  absl::Status Write(const std::string& key, absl::string_view data);
  // Stores `size` bytes of the file `fd` (from its start), whose sha256 is
  // `sha256_hex`: the store recomputes it and refuses other bytes with
  // kInvalidArgument, so nothing wrong is ever stored.
  absl::Status WriteFile(const std::string& key, int fd, uint64_t size,
                         const std::string& sha256_hex);
  // Removes an object; removing a missing one is OK.
  absl::Status Remove(const std::string& key);

  const S3Options& options() const { return transport_.options(); }

 private:
  S3Request RequestFor(std::string method, const std::string& key) const;
  absl::Status StatusOf(const S3Request& request, int status,
                        absl::string_view body) const;

  S3Transport transport_;
};

}  // namespace farm::cache::s3

#endif  // FARM_CACHE_S3_S3_BUCKET_H_
