// `farm build -`: the context on standard input, as `docker build -` takes
// it. A tar archive (plain, or compressed with gzip, bzip2, xz or zstd) is
// the whole context, Dockerfile included; anything else is the Dockerfile,
// built with an empty context.
#ifndef FARM_CLIENT_BUILD_STDIN_CONTEXT_H_
#define FARM_CLIENT_BUILD_STDIN_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace farm::client::build {

class StdinContext {
 public:
  // Reads `fd` to its end into a new temporary directory and unpacks it
  // there. An archive is unpacked with the secure layer applier (nothing
  // lands outside the directory; owners are not kept, COPY sets its own);
  // its errors name the member at fault.
  static absl::StatusOr<std::unique_ptr<StdinContext>> Read(int fd);
  // Removes the directory.
  ~StdinContext();

  // The context directory.
  const std::string& dir() const { return dir_; }
  // False when standard input was a Dockerfile, which `dir` then holds alone
  // as "Dockerfile".
  bool is_archive() const { return is_archive_; }

 private:
  StdinContext(std::string temp, std::string dir, bool is_archive)
      : temp_(std::move(temp)), dir_(std::move(dir)), is_archive_(is_archive) {}

  std::string temp_;
  std::string dir_;
  bool is_archive_;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_STDIN_CONTEXT_H_
