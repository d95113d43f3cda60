#include "cache/s3/testing/swift_server.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace farm::cache::s3::testing {
namespace {

constexpr int kStartMillis = 60'000;

// The harness's first line: its JSON description of the endpoint.
absl::StatusOr<std::string> ReadFirstLine(int fd) {
  std::string line;
  char c;
  while (true) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, kStartMillis) <= 0) {
      return absl::DeadlineExceededError("swift_s3.py did not start in time");
    }
    ssize_t n = read(fd, &c, 1);
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "swift_s3.py exited before it was ready; it printed: ", line));
    }
    if (c == '\n') return line;
    line.push_back(c);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SwiftServer>> SwiftServer::Start(
    const std::string& dir, const std::string& bucket) {
  // A test names it in its env; a benchmark under `bazel run` finds it
  // in its runfiles, which are its working directory.
  const char* harness = getenv("SWIFT_S3");
  if (harness == nullptr) harness = "tests/s3/swift_s3.py";
  if (access(harness, R_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no Swift harness at ", harness, " (set SWIFT_S3)"));
  }
  ASSIGN_OR_RETURN(Pipe in, MakePipe());
  ASSIGN_OR_RETURN(Pipe out, MakePipe());
  Subprocess::Stdio stdio;
  stdio.in = in.read.get();
  stdio.out = out.write.get();
  stdio.err = STDERR_FILENO;
  ASSIGN_OR_RETURN(Subprocess child,
                   Subprocess::Spawn({"/usr/bin/python3", harness, "serve",
                                      "--dir", dir, "--bucket", bucket},
                                     stdio));
  in.read = ScopedFd();
  out.write = ScopedFd();
  ASSIGN_OR_RETURN(std::string line, ReadFirstLine(out.read.get()));
  nlohmann::json description = nlohmann::json::parse(line, nullptr, false);
  if (description.is_discarded() || !description.is_object()) {
    return absl::InternalError(
        absl::StrCat("swift_s3.py printed no JSON: ", line));
  }
  S3Options options;
  options.endpoint = description.value("endpoint", "");
  options.bucket = description.value("bucket", bucket);
  options.region = description.value("region", "us-east-1");
  options.access_key = description.value("access_key", "");
  options.secret_key = description.value("secret_key", "");
  return std::unique_ptr<SwiftServer>(
      new SwiftServer(std::move(child), std::move(in.write), options));
}

SwiftServer::~SwiftServer() {
  stdin_pipe_ = ScopedFd();  // end of input: the harness stops its servers
  pollfd exited{harness_.pidfd(), POLLIN, 0};
  if (poll(&exited, 1, 20'000) <= 0) harness_.Kill(SIGTERM);
  harness_.Wait().IgnoreError();
}

}  // namespace farm::cache::s3::testing
