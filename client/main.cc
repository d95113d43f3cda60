// The farm command line: global flags, then one subcommand.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "client/build/build_command.h"
#include "client/client_security.h"
#include "client/container_commands.h"
#include "client/embedded_farm.h"
#include "client/farm_channel.h"
#include "client/farm_commands.h"
#include "client/image_commands.h"
#include "client/local/local_server.h"
#include "client/plan_command.h"
#include "client/registry_commands.h"
#include "client/run_command.h"
#include "client/version_command.h"
#include "common/logging.h"
#include "common/malloc_tuning.h"
#include "image/registry/credentials.h"
#include "worker/farm_worker.h"

namespace {

constexpr char kUsage[] =
    "usage: farm [--root DIR] [--remote ADDR] [--tls-ca FILE]\n"
    "            [--tls-cert FILE --tls-key FILE] [--token-file FILE]\n"
    "            COMMAND [ARGS...]\n"
    "\n"
    "  --remote ADDR   a remote farm's scheduler, or a comma-separated list\n"
    "                  of active/passive ones (host-a:7700,host-b:7700);\n"
    "                  the client follows whichever listens. Over TLS each\n"
    "                  one's certificate must name the first ADDR's host\n"
    "\n"
    "commands:\n"
    "  build     build an image from a Dockerfile\n"
    "  plan      print the stages a build of a Dockerfile would run\n"
    "  run       run a container from an image (-d: in the background,\n"
    "            -p HOSTPORT:PORT: publish a port)\n"
    "  ps        list containers      logs     show a container's output\n"
    "  stop      stop containers      rm       remove containers\n"
    "  exec      run a command in a running container\n"
    "  images    list images          rmi      remove images\n"
    "  tag       tag an image         inspect  show an image's details\n"
    "  history   show an image's steps\n"
    "  load      load images from a docker-archive or OCI tar\n"
    "  save      save images to a docker-archive or OCI tar\n"
    "  image prune   remove unused images\n"
    "  pull      pull an image from a registry\n"
    "  push      push an image to a registry\n"
    "  login     store credentials for a registry (or, with --remote, a\n"
    "            token for a farm)\n"
    "  logout    remove stored credentials\n"
    "  cache stats|prune   the layer cache\n"
    "  workers   list the farm's workers (drain ID: let one finish, leave)\n"
    "  builds    list running and recent builds\n"
    "  stats     the scheduler's counters, as JSON\n"
    "  version   this client's version and, with --remote, the farm's\n"
    "  server status|stop   the local farm server of --root (started by\n"
    "            the first command, exits when idle)\n";

// The global flags, as given.
struct GlobalFlags {
  std::string root, remote;
  farm::client::SecurityFlags security;
};

// Takes the global flags (with a value, either form) out of `args`. Only the
// words before `stop` are searched.
void TakeGlobalFlags(std::vector<std::string>& args, size_t stop,
                     GlobalFlags& flags, bool* bad) {
  const std::pair<const char*, std::string*> known[] = {
      {"--root", &flags.root},
      {"--remote", &flags.remote},
      {"--tls-ca", &flags.security.tls_ca},
      {"--tls-cert", &flags.security.tls_cert},
      {"--tls-key", &flags.security.tls_key},
      {"--token-file", &flags.security.token_file}};
  for (size_t i = 0; i < std::min(stop, args.size());) {
    const std::string& arg = args[i];
    std::string* target = nullptr;
    std::string value;
    size_t take = 0;
    for (const auto& [name, field] : known) {
      std::string flag = name;
      if (arg == flag) {
        if (i + 1 >= args.size()) {
          *bad = true;
          return;
        }
        value = args[i + 1];
        take = 2;
      } else if (arg.rfind(flag + "=", 0) == 0) {
        value = arg.substr(flag.size() + 1);
        take = 1;
      }
      if (take > 0) {
        target = field;
        break;
      }
    }
    if (target == nullptr) {
      ++i;
      continue;
    }
    *target = value;
    args.erase(args.begin() + i, args.begin() + i + take);
    stop -= take;
  }
}

// The embedded farm's one worker: its state under ROOT/worker, a slot per
// core so independent stages still run side by side.
absl::StatusOr<std::shared_ptr<void>> StartEmbeddedWorker(
    std::shared_ptr<grpc::Channel> channel, const std::string& root,
    farm::cache::BlobStore* blobs) {
  farm::worker::FarmWorkerOptions options;
  options.blobs = blobs;
  std::string base = root;
  if (base.empty() || base[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) != nullptr)
      base = std::string(cwd) + "/" + base;
  }
  options.root = base + "/worker";
  options.worker_id = "embedded";
  options.connect_wait = absl::ZeroDuration();  // the farm's in-process channel
  options.slots = std::max(2u, std::thread::hardware_concurrency());
  absl::StatusOr<std::unique_ptr<farm::worker::FarmWorker>> worker =
      farm::worker::FarmWorker::Create(std::move(channel), options);
  if (!worker.ok()) return worker.status();
  std::shared_ptr<farm::worker::FarmWorker> shared = std::move(*worker);
  shared->Start();
  // Destroying the handle stops the worker.
  return std::shared_ptr<void>(shared.get(),
                               [shared](void*) mutable { shared->Stop(); });
}

// Where the commands go: the flags, else FARM_REMOTE / FARM_ROOT and the
// security settings (client/client_security.h).
absl::StatusOr<farm::client::FarmEndpoint> Endpoint(const GlobalFlags& flags) {
  farm::client::FarmEndpoint endpoint;
  if (const char* root = getenv("FARM_ROOT")) endpoint.root = root;
  if (!flags.root.empty()) endpoint.root = flags.root;
  farm::client::ResolveRemote(flags.remote, getenv("FARM_REMOTE"), endpoint);
  absl::StatusOr<farm::auth::ClientSecurity> security =
      farm::client::ResolveClientSecurity(
          flags.security, endpoint.remote,
          farm::image::registry::FarmConfigPath(), getenv);
  if (!security.ok()) return security.status();
  endpoint.security = *std::move(security);
  return endpoint;
}

int Dispatch(const std::string& command, std::vector<std::string> rest,
             const farm::client::FarmEndpoint& endpoint) {
  using namespace farm::client;
  if (command == "plan") return RunPlanCommand(rest);
  if (command == "build") {
    return build::RunBuildCommand(rest, endpoint, OpenFarmChannel);
  }
  if (command == "serve-local") {
    // The root's local farm server (client/local/local_server.h); commands
    // start it, people need not.
    local::LocalServerOptions options;
    options.root = endpoint.root;
    options.start_worker = StartEmbeddedWorker;
    options.idle_timeout = local::IdleTimeoutFromEnvironment();
    if (rest.size() == 2 && rest[0] == "--ready-fd") {
      options.ready_fd = std::atoi(rest[1].c_str());
    }
    return local::ServeLocal(options);
  }
  if (command == "run") return RunRunCommand(rest, endpoint);
  if (command == "ps") return RunPsCommand(rest, endpoint);
  if (command == "logs") return RunLogsCommand(rest, endpoint);
  if (command == "stop") return RunStopCommand(rest, endpoint);
  if (command == "rm") return RunRmCommand(rest, endpoint);
  if (command == "exec") return RunExecCommand(rest, endpoint);
  if (command == "server") return RunServerCommand(rest, endpoint);
  if (command == "container") {
    const std::vector<std::string> verb_args(
        rest.empty() ? rest.begin() : rest.begin() + 1, rest.end());
    const std::string verb = rest.empty() ? "" : rest[0];
    if (verb == "ls" || verb == "list")
      return RunPsCommand(verb_args, endpoint);
    if (verb == "run") return RunRunCommand(verb_args, endpoint);
    if (verb == "logs") return RunLogsCommand(verb_args, endpoint);
    if (verb == "stop") return RunStopCommand(verb_args, endpoint);
    if (verb == "rm") return RunRmCommand(verb_args, endpoint);
    if (verb == "exec") return RunExecCommand(verb_args, endpoint);
    std::cerr << "usage: farm container ls|run|logs|stop|rm|exec ...\n";
    return 2;
  }
  if (command == "load") return RunLoadCommand(rest, endpoint);
  if (command == "save") return RunSaveCommand(rest, endpoint);
  if (command == "images") return RunImagesCommand(rest, endpoint);
  if (command == "rmi") return RunRmiCommand(rest, endpoint);
  if (command == "tag") return RunTagCommand(rest, endpoint);
  if (command == "inspect") return RunInspectCommand(rest, endpoint);
  if (command == "history") return RunHistoryCommand(rest, endpoint);
  if (command == "cache") return RunCacheCommand(rest, endpoint);
  if (command == "workers") return RunWorkersCommand(rest, endpoint);
  if (command == "builds") return RunBuildsCommand(rest, endpoint);
  if (command == "stats") return RunStatsCommand(rest, endpoint);
  if (command == "version") return RunVersionCommand(rest, endpoint);
  if (command == "pull") return RunPullCommand(rest, endpoint);
  if (command == "push") return RunPushCommand(rest, endpoint);
  if (command == "login") return RunLoginCommand(rest, endpoint);
  if (command == "logout") return RunLogoutCommand(rest, endpoint);
  if (command == "image") {
    if (!rest.empty() && rest[0] == "prune") {
      return RunImagePruneCommand({rest.begin() + 1, rest.end()}, endpoint);
    }
    if (!rest.empty() && (rest[0] == "ls" || rest[0] == "list")) {
      return RunImagesCommand({rest.begin() + 1, rest.end()}, endpoint);
    }
    if (!rest.empty() && (rest[0] == "rm")) {
      return RunRmiCommand({rest.begin() + 1, rest.end()}, endpoint);
    }
    if (!rest.empty() && rest[0] == "inspect") {
      return RunInspectCommand({rest.begin() + 1, rest.end()}, endpoint);
    }
    std::cerr << "usage: farm image prune|ls|rm|inspect ...\n";
    return 2;
  }
  std::cerr << "farm: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  farm::TuneMallocForFewerPageFaults(farm::kCommandTopPad);
  // The embedded farm's own logs stay quiet unless asked for.
  if (getenv("FARM_LOG_LEVEL") == nullptr) {
    farm::SetMinLogLevel(farm::LogLevel::kWarning);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  GlobalFlags flags;
  bool bad = false;
  // Global flags come before the command...
  size_t command_at = 0;
  while (command_at < args.size() && args[command_at].rfind("-", 0) == 0) {
    command_at += args[command_at].find('=') == std::string::npos ? 2 : 1;
  }
  TakeGlobalFlags(args, command_at, flags, &bad);
  if (bad || args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    std::cout << kUsage;
    return args.empty() || bad ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "-v") {
    std::cout << "farm version " << farm::client::ClientVersion().version()
              << "\n";
    return 0;
  }
  if (args[0].rfind("-", 0) == 0) {
    std::cerr << "farm: unknown flag " << args[0] << "\n" << kUsage;
    return 2;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  // ...and every command but `run` also takes them among its own flags.
  if (command != "run" && command != "exec" && command != "container") {
    TakeGlobalFlags(rest, rest.size(), flags, &bad);
  }
  if (bad) {
    std::cerr << "farm: a global flag is missing its value\n" << kUsage;
    return 2;
  }
  absl::StatusOr<farm::client::FarmEndpoint> endpoint = Endpoint(flags);
  if (!endpoint.ok()) {
    std::cerr << "Error: " << endpoint.status().message() << "\n";
    return 1;
  }
  // Every command reaches the embedded farm through the root's local server.
  farm::client::UseLocalServer();
  int status = Dispatch(command, std::move(rest), *endpoint);
  farm::client::CloseFarmChannels();
  return status;
}
