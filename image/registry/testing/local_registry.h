// LocalRegistry: a real CNCF distribution registry (Debian's
// docker-registry) on 127.0.0.1 with a free port and storage in a temp dir,
// optionally behind htpasswd basic auth. Started by tests and benchmarks,
// killed and removed when the object goes away.
#ifndef FARM_IMAGE_REGISTRY_TESTING_LOCAL_REGISTRY_H_
#define FARM_IMAGE_REGISTRY_TESTING_LOCAL_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "common/subprocess.h"
#include "image/registry/credentials.h"
#include "image/registry/testing/loopback.h"

namespace farm::image::registry::testing {

struct LocalRegistryOptions {
  // Non-empty: the registry demands basic auth from one of these users
  // (an htpasswd file made with `htpasswd -B`).
  std::vector<Credential> users;
};

class LocalRegistry {
 public:
  // Starts the registry and waits until it accepts connections (10 s).
  // kUnavailable with the registry's log if it does not come up. The
  // registry is killed if the calling thread exits first, so start it from
  // a thread that outlives it (a test's main thread).
  static absl::StatusOr<std::unique_ptr<LocalRegistry>> Start(
      const LocalRegistryOptions& options = {});
  // SIGTERM (then SIGKILL), wait, remove the temp dir.
  ~LocalRegistry();

  int port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }
  // Where the registry keeps the bytes of blob `digest`.
  std::string BlobDataPath(const Digest& digest) const;
  // The registry's log so far (access log and errors).
  std::string ReadLog() const;

 private:
  LocalRegistry(std::string dir, int port, Subprocess process)
      : dir_(std::move(dir)), port_(port), process_(std::move(process)) {}

  std::string dir_;
  int port_;
  std::optional<Subprocess> process_;
};

struct CommandResult {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] searched in PATH) to completion, capturing stdout
// and stderr apart (common/subprocess.h's RunCommand mixes them).
// kNotFound when the program does not exist.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv);

}  // namespace farm::image::registry::testing

#endif  // FARM_IMAGE_REGISTRY_TESTING_LOCAL_REGISTRY_H_
