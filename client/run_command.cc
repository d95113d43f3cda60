#include "client/run_command.h"

#include <iostream>

#include "absl/strings/match.h"
#include "client/local/container_spec.h"
#include "client/run_image.h"

namespace farm::client {
namespace {

constexpr char kUsage[] =
    "usage: farm run [-d] [-i] [-t] [--rm] [--name NAME]\n"
    "                [-p [IP:]HOSTPORT:PORT[/tcp|/udp]]... [-v "
    "HOSTDIR:DIR[:ro]]...\n"
    "                [-e K=V]... [-u USER] [-w DIR] [--entrypoint X]\n"
    "                [--network bridge|host|none] [--platform P] IMAGE "
    "[CMD...]\n";

}  // namespace

int RunRunCommand(const std::vector<std::string>& args,
                  const FarmEndpoint& endpoint) {
  absl::StatusOr<RunOptions> options = ParseRunArgs(args);
  if (!options.ok()) {
    std::cerr << "farm run: " << options.status().message() << "\n" << kUsage;
    return 125;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) {
    std::cerr << "farm run: " << channel.status().message() << "\n";
    return 125;
  }
  absl::StatusOr<int> exit =
      RunImage(*options, *channel, endpoint.root, !endpoint.remote.empty());
  if (!exit.ok()) {
    std::cerr << "farm run: " << exit.status().message() << "\n";
    return local::ExitCodeForError(exit.status());
  }
  return *exit;
}

}  // namespace farm::client
