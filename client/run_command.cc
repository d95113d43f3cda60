#include "client/run_command.h"

#include <iostream>

#include "absl/strings/match.h"
#include "client/run_image.h"

namespace farm::client {
namespace {

constexpr char kUsage[] =
    "usage: farm run [--rm] [-e K=V]... [-u USER] [-w DIR] [--entrypoint X] "
    "[--platform P] IMAGE [CMD...]\n";

// Docker's exit statuses for a container that could not run.
int ExitStatusFor(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return 125;
  return absl::StrContains(status.message(), "not found") ||
                 absl::StrContains(status.message(), "no such file")
             ? 127
             : 126;
}

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
  absl::StatusOr<int> exit = RunImage(*options, *channel, endpoint.root);
  if (!exit.ok()) {
    std::cerr << "farm run: " << exit.status().message() << "\n";
    return ExitStatusFor(exit.status());
  }
  return *exit;
}

}  // namespace farm::client
