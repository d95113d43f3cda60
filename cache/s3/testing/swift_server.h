// A throwaway S3 endpoint for C++ tests: OpenStack Swift's all-in-one with
// its s3api middleware, started by tests/s3/swift_s3.py on loopback.
#ifndef FARM_CACHE_S3_TESTING_SWIFT_SERVER_H_
#define FARM_CACHE_S3_TESTING_SWIFT_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cache/s3/s3_options.h"
#include "common/subprocess.h"

namespace farm::cache::s3::testing {

class SwiftServer {
 public:
  // Starts the servers under `dir` with an empty bucket `bucket`. The
  // harness is $SWIFT_S3 (the test's env names tests/s3/swift_s3.py), or
  // tests/s3/swift_s3.py under the working directory.
  static absl::StatusOr<std::unique_ptr<SwiftServer>> Start(
      const std::string& dir, const std::string& bucket);
  // Closes the harness's stdin, which stops every server, and waits.
  ~SwiftServer();

  // Endpoint, bucket, region and credentials.
  const S3Options& options() const { return options_; }

 private:
  SwiftServer(Subprocess harness, ScopedFd stdin_pipe, S3Options options)
      : harness_(std::move(harness)),
        stdin_pipe_(std::move(stdin_pipe)),
        options_(std::move(options)) {}

  Subprocess harness_;
  ScopedFd stdin_pipe_;
  S3Options options_;
};

}  // namespace farm::cache::s3::testing

#endif  // FARM_CACHE_S3_TESTING_SWIFT_SERVER_H_
