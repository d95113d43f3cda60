// `farm run`'s engine: the container an image makes under Docker's rules
// for the command, environment, user and working directory, run by the
// local farm server (detached, -d) or in this process with its terminal
// over the filesystem the server mounts (client/local).
#ifndef FARM_CLIENT_RUN_IMAGE_H_
#define FARM_CLIENT_RUN_IMAGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "image/oci/config.h"
#include "worker/executor/executor.h"

namespace farm::client {

struct RunOptions {
  std::string image;
  std::vector<std::string> command;  // after IMAGE; replaces the image's Cmd
  std::vector<std::string> env;      // -e K=V, or -e K to pass K from here
  std::string user;                  // -u
  std::string workdir;               // -w
  std::optional<std::string> entrypoint;  // --entrypoint ("" clears it)
  bool remove = false;                    // --rm
  bool detach = false;                    // -d
  bool interactive = false;               // -i: stdin reaches the container
  bool tty = false;                       // -t
  std::string name;                       // --name
  std::vector<std::string> publish;       // -p, as given
  std::vector<std::string> volumes;       // -v, as given
  std::string network = "bridge";         // --network
  // --platform: that platform's image of a multi-platform one; without it,
  // this machine's platform's.
  std::string platform;
};

// Reads `[-d] [-i] [-t] [--rm] [--name N] [-p P]... [-v V]... [-e K=V]...
// [-u USER] [-w DIR] [--entrypoint X] [--network N] [--platform P] IMAGE
// [CMD...]`; flags after IMAGE belong to the command. kInvalidArgument for
// an unknown flag or a missing IMAGE.
absl::StatusOr<RunOptions> ParseRunArgs(const std::vector<std::string>& args);

// The container process for `config` as `docker run` makes it: argv is the
// entrypoint (--entrypoint X, which also drops the image's Cmd) followed by
// the command (CMD... or the image's Cmd); Env is the image's with -e
// values replacing or adding ("-e K" takes K from `host_env`, and is
// dropped when unset there), PATH defaulted; user and working directory
// from -u/-w or the image. kInvalidArgument "no command specified" when
// argv ends up empty.
absl::StatusOr<executor::ProcessSpec> ContainerSpec(
    const image::oci::ImageConfig& config, const RunOptions& options,
    const std::function<std::optional<std::string>(const std::string&)>&
        host_env);

// Runs options.image from the farm behind `channel` (the local server of
// `root`). Detached: prints the container's id and returns 0. Attached:
// runs it with this process's stdout and stderr (stdin with -i, a terminal
// with -t) and returns its exit status (128+N after signal N); SIGTERM or
// SIGHUP to this process stops it, SIGINT reaches it through runc. Errors:
// kNotFound for an unknown image or one without the platform (naming
// those it has), kAlreadyExists for a taken name or port, the snapshot
// store's and the executor's codes otherwise.
// With `remote` (a --remote farm, which runs no containers) this process
// runs the image in the foreground, its layers under <root>/run/remote.
absl::StatusOr<int> RunImage(const RunOptions& options,
                             std::shared_ptr<grpc::Channel> channel,
                             const std::string& root, bool remote);

}  // namespace farm::client

#endif  // FARM_CLIENT_RUN_IMAGE_H_
