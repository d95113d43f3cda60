// OutputFiles: where the image archives a build streams back end up
// (`--output type=docker|oci,dest=FILE`). Each is written to a temporary
// file beside its destination and renamed into place only when the build
// succeeds, so a failed build never leaves a half archive under the name.
#ifndef FARM_CLIENT_BUILD_OUTPUT_FILES_H_
#define FARM_CLIENT_BUILD_OUTPUT_FILES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs.h"
#include "proto/build.pb.h"

namespace farm::client::build {

struct OutputSpec {
  std::string format;  // "docker" or "oci"
  std::string dest;    // a file, or "-" for standard output
};

// Parses "type=docker,dest=FILE" (keys in any order). kInvalidArgument
// quoting the flag for a missing or unknown type, a missing dest, or an
// unknown key.
absl::StatusOr<OutputSpec> ParseOutputSpec(absl::string_view text);

// Not thread-safe; the build's reader thread uses it.
class OutputFiles {
 public:
  // Creates the temporary files. `stdout_fd` receives "-" outputs
  // directly (nothing to rename). Errors: kInvalidArgument when two
  // outputs share a destination or two go to standard output; creation
  // errors naming the destination.
  static absl::StatusOr<std::unique_ptr<OutputFiles>> Create(
      const std::vector<OutputSpec>& specs, int stdout_fd);
  // Removes temporary files not committed.
  ~OutputFiles();

  // The formats to ask the farm for, each once, in flag order.
  std::vector<std::string> formats() const;

  // Appends a chunk to every output of its format. kInternal for a format
  // not asked for or data after the last chunk; write errors
  // (kResourceExhausted for a full disk...) naming the file.
  absl::Status Write(const proto::OutputChunk& chunk);
  // Drops what was received of outputs not yet complete, for a farm that
  // sends them again after a re-attach. kDataLoss when part of one already
  // went to standard output.
  absl::Status Restart();
  // Moves every output into place. kDataLoss naming the format when one
  // never arrived complete; rename errors.
  absl::Status Commit();

 private:
  struct Output {
    OutputSpec spec;
    std::string temp_path;  // "" for standard output
    ScopedFd fd;
    int64_t bytes = 0;
    bool complete = false;
  };
  OutputFiles() = default;

  std::vector<Output> outputs_;
  int stdout_fd_ = 1;
  bool committed_ = false;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_OUTPUT_FILES_H_
