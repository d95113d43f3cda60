#include "client/version_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/farm_call.h"
#include "common/build_info.h"
#include "proto/build.grpc.pb.h"

namespace farm::client {

proto::VersionInfo ClientVersion() {
  BuildInfo build = ThisBuild();
  proto::VersionInfo info;
  info.set_component("farm");
  info.set_version(build.version);
  info.set_grpc_version(build.grpc);
  info.set_compiler(build.compiler);
  info.set_platform(build.platform);
  return info;
}

std::string FormatVersion(const std::string& title,
                          const proto::VersionInfo& info) {
  return absl::StrCat(title, ":\n",                                //
                      " Version:    ", info.version(), "\n",       //
                      " gRPC:       ", info.grpc_version(), "\n",  //
                      " Compiler:   ", info.compiler(), "\n",      //
                      " OS/Arch:    ", info.platform(), "\n");
}

int RunVersionCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint) {
  if (!args.empty()) {
    std::cerr << "usage: farm version\n";
    return 2;
  }
  std::cout << FormatVersion("Client", ClientVersion());
  if (endpoint.remote.empty()) {
    // The embedded farm is this very binary.
    std::cout << "\nServer: embedded in this farm command\n";
    return 0;
  }
  proto::VersionInfo server;
  absl::Status status = CallFarm<proto::BuildService>(
      endpoint, &proto::BuildService::Stub::Version, proto::VersionRequest(),
      &server);
  if (!status.ok()) {
    std::cout.flush();
    std::cerr << "Error: " << status.message() << "\n";
    return 1;
  }
  std::cout << "\n"
            << FormatVersion(absl::StrCat("Server (", server.component(),
                                          " at ", endpoint.remote, ")"),
                             server);
  return 0;
}

}  // namespace farm::client
