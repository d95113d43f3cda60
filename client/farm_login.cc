#include "client/farm_login.h"

#include <iostream>

#include "client/command_line.h"
#include "client/farm_call.h"
#include "client/farm_logins.h"
#include "client/terminal_input.h"
#include "image/registry/credentials.h"
#include "proto/build.grpc.pb.h"

namespace farm::client {

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "Error: " << status.message() << "\n";
  return 1;
}

// Whether the farm takes `token`: any answer but UNAUTHENTICATED means it
// knows who this is (a worker's token may not list builds, yet is valid).
absl::Status CheckToken(FarmEndpoint endpoint, const std::string& token) {
  endpoint.security.token = token;
  proto::ListBuildsResponse response;
  absl::Status status = CallFarm<proto::BuildService>(
      endpoint, &proto::BuildService::Stub::ListBuilds,
      proto::ListBuildsRequest(), &response, absl::Seconds(30));
  if (status.ok() || absl::IsPermissionDenied(status)) return absl::OkStatus();
  return status;
}

}  // namespace

int RunFarmLoginCommand(const std::vector<std::string>& args,
                        const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "usage: farm login --remote ADDR [--token-stdin]\n";
  FlagSpec spec;
  spec.boolean = {"token-stdin"};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok() || !cli->positional().empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (!cli->Has("token-stdin")) std::cerr << "Token: ";
  std::string token = ReadInputLine(!cli->Has("token-stdin"));
  if (token.empty()) {
    std::cerr << "farm login: no token given\n" << kUsage;
    return 2;
  }
  absl::Status checked = CheckToken(endpoint, token);
  if (!checked.ok()) return Fail(checked);
  absl::Status stored =
      StoreFarmToken(image::registry::FarmConfigPath(), endpoint.remote, token);
  if (!stored.ok()) return Fail(stored);
  std::cout << "Login Succeeded\n";
  return 0;
}

int RunFarmLogoutCommand(const std::vector<std::string>& args,
                         const FarmEndpoint& endpoint) {
  if (!args.empty()) {
    std::cerr << "usage: farm logout --remote ADDR\n";
    return 2;
  }
  absl::StatusOr<bool> removed =
      RemoveFarmToken(image::registry::FarmConfigPath(), endpoint.remote);
  if (!removed.ok()) return Fail(removed.status());
  std::cout << (*removed ? "Removing the token for " : "Not logged in to ")
            << endpoint.remote << "\n";
  return 0;
}

}  // namespace farm::client
