// `farm run`'s engine: an image from the farm's image store (config and
// manifest through the ImageService, layers from the CAS through the
// CacheService) stacked with the snapshotter under --root and run in the
// foreground with runc, with Docker's rules for the command, environment,
// user and working directory.
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
  bool remove = false;                    // --rm (farm keeps no containers)
  // --platform: that platform's image of a multi-platform one; without it,
  // this machine's platform's.
  std::string platform;
};

// Reads `[--rm] [-e K=V]... [-u USER] [-w DIR] [--entrypoint X]
// [--platform P] IMAGE [CMD...]`; flags after IMAGE belong to the command.
// kInvalidArgument for an unknown flag or a missing IMAGE.
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

// Runs options.image from the farm behind `channel`, keeping unpacked
// layers and runc state under <root>/run, with this process's stdin, stdout
// and stderr (a terminal when stdin and stdout are one). Returns the
// container's exit status (128+N after signal N). SIGTERM or SIGHUP to
// this process stops the container; SIGINT reaches it through runc.
// Errors: kNotFound for an unknown image or one without the platform
// (naming those it has), the snapshot store's and the executor's codes
// otherwise.
absl::StatusOr<int> RunImage(const RunOptions& options,
                             std::shared_ptr<grpc::Channel> channel,
                             const std::string& root);

}  // namespace farm::client

#endif  // FARM_CLIENT_RUN_IMAGE_H_
