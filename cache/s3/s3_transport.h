// S3Transport: signed HTTP requests to one bucket, over libcurl. libcurl
// computes the SigV4 signature itself (CURLOPT_AWS_SIGV4); farm only says
// which payload hash to sign. Batches run on one thread through a libcurl
// multi handle, and streamed downloads are pulled through one, so a large
// blob never sits in memory and a batch of 10,000 HEADs needs no threads.
#ifndef FARM_CACHE_S3_S3_TRANSPORT_H_
#define FARM_CACHE_S3_S3_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "cache/s3/s3_options.h"
#include "common/io.h"

namespace farm::cache::s3 {

// The sha256 of no bytes, the payload hash of GET, HEAD and DELETE.
inline constexpr absl::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct S3Request {
  std::string method = "GET";  // GET, HEAD, PUT or DELETE
  std::string key;             // the object's key, prefix included
  std::string range;           // a Range value, "bytes=0-9"; empty: none
  // A PUT's body: `body`, or `body_size` bytes of the file `body_fd` from
  // its start (not owned). Not copied: both must outlive the call.
  absl::string_view body;
  int body_fd = -1;
  uint64_t body_size = 0;
  // The hex sha256 of the body, signed as x-amz-content-sha256; the store
  // recomputes it and refuses a body that does not match.
  std::string content_sha256 = std::string(kEmptyPayloadSha256);
  // A response body longer than this fails the request (kResourceExhausted).
  size_t max_body_bytes = 1 << 20;
};

struct S3Response {
  int status = 0;
  uint64_t content_length = 0;  // Content-Length, as HEAD reports a size
  std::string body;             // the whole body (an error's XML too)
};

// A GET whose body is pulled as it is read.
struct S3Stream {
  int status = 0;
  uint64_t content_length = 0;
  std::string error_body;  // a non-2xx answer's body; `body` is then null
  // Reads the 2xx body. kUnavailable when the connection fails or stalls.
  std::unique_ptr<ByteReader> body;
};

// Thread-safe: each call takes its own multi handle from a pool, so calls
// run concurrently and kept-alive connections are reused by later calls.
class S3Transport {
 public:
  explicit S3Transport(S3Options options);
  ~S3Transport();
  S3Transport(const S3Transport&) = delete;
  S3Transport& operator=(const S3Transport&) = delete;

  // Any HTTP status is an answer. kUnavailable when the store cannot be
  // reached or the connection fails; kUnavailable naming libcurl when it
  // cannot be loaded.
  absl::StatusOr<S3Response> Send(const S3Request& request);
  // Sends all of `requests`, options().max_parallel at a time; one answer
  // or error per request, in order.
  std::vector<absl::StatusOr<S3Response>> SendAll(
      absl::Span<const S3Request> requests);
  // Starts a GET and returns once the status line and headers are in.
  absl::StatusOr<S3Stream> Open(const S3Request& request);

  const S3Options& options() const { return options_; }
  // ENDPOINT/BUCKET/KEY, the key percent-encoded but for '/'.
  std::string UrlOf(absl::string_view key) const;

  class Engine;  // a multi handle and its easy handles

 private:
  std::unique_ptr<Engine> Acquire();
  void Release(std::unique_ptr<Engine> engine);

  S3Options options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Engine>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::cache::s3

#endif  // FARM_CACHE_S3_S3_TRANSPORT_H_
