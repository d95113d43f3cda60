#include "client/registry_commands.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/command_line.h"
#include "client/farm_call.h"
#include "client/farm_login.h"
#include "client/image_inspect.h"
#include "client/terminal_input.h"
#include "common/grpc_status.h"
#include "image/registry/credentials.h"
#include "image/registry/reference.h"
#include "image/registry/registry_client.h"
#include "proto/image.grpc.pb.h"

namespace farm::client {

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "Error: " << status.message() << "\n";
  return 1;
}

int Usage(absl::string_view usage, absl::string_view problem) {
  std::cerr << "farm: " << problem << "\nusage: " << usage << "\n";
  return 2;
}

// "docker.io" unless SERVER is given; accepts "https://host/v1/" forms.
std::string ServerDomain(const std::vector<std::string>& positional) {
  if (positional.empty()) return "docker.io";
  std::string server = positional[0];
  for (const char* scheme : {"https://", "http://"}) {
    if (server.rfind(scheme, 0) == 0) server = server.substr(strlen(scheme));
  }
  size_t slash = server.find('/');
  if (slash != std::string::npos) server = server.substr(0, slash);
  if (server == "index.docker.io" || server == "registry-1.docker.io") {
    return "docker.io";
  }
  return server;
}

}  // namespace

int RunPullCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm pull [--platform OS/ARCH] REF";
  FlagSpec spec;
  spec.with_value = {"platform"};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().size() != 1) return Usage(kUsage, "name one image");
  proto::PullImageRequest request;
  request.set_reference(cli->positional()[0]);
  request.set_platform(cli->Get("platform"));
  proto::PullImageResponse response;
  absl::Status status = CallFarm<proto::ImageService>(
      endpoint, &proto::ImageService::Stub::PullImage, request, &response);
  if (!status.ok()) return Fail(status);
  absl::StatusOr<image::registry::Reference> ref =
      image::registry::Reference::Parse(cli->positional()[0]);
  std::cout << "Digest: " << response.manifest_digest() << "\n"
            << "Status: image is up to date in the farm ("
            << ShortImageId(response.image_id()) << ")\n"
            << (ref.ok() ? ref->String() : cli->positional()[0]) << "\n";
  return 0;
}

int RunPushCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm push REF";
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, FlagSpec());
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().size() != 1) return Usage(kUsage, "name one image");
  proto::PushImageRequest request;
  request.set_reference(cli->positional()[0]);
  proto::PushImageResponse response;
  absl::Status status = CallFarm<proto::ImageService>(
      endpoint, &proto::ImageService::Stub::PushImage, request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << cli->positional()[0]
            << ": digest: " << response.manifest_digest()
            << " uploaded: " << response.size() << " bytes\n";
  return 0;
}

int RunLoginCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint) {
  // `farm login --remote ADDR`: a token for a farm, not a registry login.
  if (RemoteNamedByFlag(endpoint)) {
    return RunFarmLoginCommand(args, endpoint);
  }
  constexpr char kUsage[] =
      "farm login [-u USER] [-p PASS | --password-stdin] [SERVER]";
  FlagSpec spec;
  spec.with_value = {"username", "password"};
  spec.boolean = {"password-stdin"};
  spec.aliases = {{"u", "username"}, {"p", "password"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().size() > 1) return Usage(kUsage, "name one server");
  std::string domain = ServerDomain(cli->positional());
  image::registry::Credential credential;
  credential.username = cli->Get("username");
  if (credential.username.empty()) {
    std::cerr << "Username: ";
    credential.username = ReadInputLine(false);
  }
  if (cli->Has("password-stdin")) {
    credential.password = ReadInputLine(false);
  } else if (cli->Has("password")) {
    std::cerr << "WARNING! Using --password via the CLI is insecure. Use "
                 "--password-stdin.\n";
    credential.password = cli->Get("password");
  } else {
    std::cerr << "Password: ";
    credential.password = ReadInputLine(true);
  }
  if (credential.username.empty() || credential.password.empty()) {
    return Usage(kUsage, "a username and a password are needed");
  }
  absl::StatusOr<image::registry::RegistryClientOptions> options =
      image::registry::DefaultRegistryClientOptions();
  if (!options.ok()) return Fail(options.status());
  image::registry::RegistryClient client(*std::move(options));
  absl::Status checked = client.CheckLogin(domain, credential);
  if (!checked.ok()) return Fail(checked);
  image::registry::ConfigFileCredentialStore store(
      image::registry::FarmConfigPath());
  absl::Status stored = store.Store(domain, credential);
  if (!stored.ok()) return Fail(stored);
  std::cout << "Login Succeeded\n";
  return 0;
}

int RunLogoutCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint) {
  if (RemoteNamedByFlag(endpoint)) {
    return RunFarmLogoutCommand(args, endpoint);
  }
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, FlagSpec());
  if (!cli.ok()) return Usage("farm logout [SERVER]", cli.status().message());
  std::string domain = ServerDomain(cli->positional());
  image::registry::ConfigFileCredentialStore store(
      image::registry::FarmConfigPath());
  absl::Status erased = store.Erase(domain);
  if (absl::IsNotFound(erased)) {
    std::cout << "Not logged in to " << domain << "\n";
    return 0;
  }
  if (!erased.ok()) return Fail(erased);
  std::cout << "Removing login credentials for " << domain << "\n";
  return 0;
}

}  // namespace farm::client
