// `farm build`: read the Dockerfile and .dockerignore, walk the context,
// run the build on the farm (embedded or remote) with progress output, and
// write the requested archives.
#ifndef FARM_CLIENT_BUILD_BUILD_COMMAND_H_
#define FARM_CLIENT_BUILD_BUILD_COMMAND_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/farm_channel.h"
#include "grpcpp/channel.h"

namespace farm::client::build {

// How the command reaches the farm: OpenFarmChannel in the CLI, a channel
// to a test server in tests.
using ChannelOpener =
    std::function<absl::StatusOr<std::shared_ptr<grpc::Channel>>(
        const FarmEndpoint&)>;

// `args` are the words after "build"; `endpoint` is the farm the global
// flags name (--remote among `args` overrides its address). Progress
// goes to stderr, -q's image id and `dest=-` archives to stdout. Returns
// the exit status: 0 on success, 1 when the build fails (the error, naming
// file:line and instruction when the Dockerfile is at fault, is printed),
// 2 for a bad command line, 130 after Ctrl-C, 143 after SIGTERM.
int RunBuildCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint, const ChannelOpener& open);

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_BUILD_COMMAND_H_
