#include "client/container_commands.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/command_line.h"
#include "client/farm_call.h"
#include "client/local/container_spec.h"
#include "client/local/local_connect.h"
#include "client/local/local_paths.h"
#include "client/ps_format.h"
#include "proto/container.grpc.pb.h"

namespace farm::client {
namespace {

using Containers = proto::ContainerService;

// The local server's channel, or nullptr with the error printed.
std::shared_ptr<grpc::Channel> OpenLocal(const std::string& command,
                                         const FarmEndpoint& endpoint) {
  if (!endpoint.remote.empty()) {
    std::cerr << "farm " << command << ": containers run on this machine; a "
              << "remote farm (" << endpoint.remote_source << ") has none\n";
    return nullptr;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) {
    std::cerr << "farm " << command << ": " << channel.status().message()
              << "\n";
    return nullptr;
  }
  return *channel;
}

absl::StatusOr<CommandLine> Parse(const std::string& command,
                                  const std::vector<std::string>& args,
                                  FlagSpec spec, size_t min_positional,
                                  const char* usage) {
  absl::StatusOr<CommandLine> line = CommandLine::Parse(args, spec);
  if (line.ok() && line->positional().size() < min_positional) {
    line = absl::InvalidArgumentError(
        absl::StrCat("\"farm ", command, "\" requires at least ",
                     min_positional, " argument(s)"));
  }
  if (!line.ok()) {
    std::cerr << "farm " << command << ": " << line.status().message() << "\n"
              << usage;
  }
  return line;
}

// Calls `act` on each container named, printing the name back when it
// succeeds and the error when not, as `docker stop` and `docker rm` do;
// 1 when any failed.
int ForEachContainer(
    const std::vector<std::string>& refs,
    const std::function<absl::Status(const std::string&)>& act) {
  int code = 0;
  for (const std::string& ref : refs) {
    absl::Status status = act(ref);
    if (status.ok()) {
      std::cout << ref << "\n";
    } else {
      std::cerr << "Error response from farm: " << status.message() << "\n";
      code = 1;
    }
  }
  return code;
}

}  // namespace

int RunPsCommand(const std::vector<std::string>& args,
                 const FarmEndpoint& endpoint) {
  FlagSpec spec;
  spec.boolean = {"all", "quiet", "no-trunc", "aq", "qa"};
  spec.aliases = {{"a", "all"}, {"q", "quiet"}};
  absl::StatusOr<CommandLine> line =
      Parse("ps", args, spec, 0, "usage: farm ps [-a] [-q] [--no-trunc]\n");
  if (!line.ok()) return 1;
  std::shared_ptr<grpc::Channel> channel = OpenLocal("ps", endpoint);
  if (channel == nullptr) return 1;
  proto::ListContainersRequest request;
  request.set_all(line->Has("all") || line->Has("aq") || line->Has("qa"));
  proto::ListContainersResponse response;
  absl::Status listed = CallFarm<Containers>(channel, &Containers::Stub::List,
                                             request, &response);
  if (!listed.ok()) {
    std::cerr << "farm ps: " << listed.message() << "\n";
    return 1;
  }
  std::vector<proto::ContainerRecord> records(response.containers().begin(),
                                              response.containers().end());
  if (line->Has("quiet") || line->Has("aq") || line->Has("qa")) {
    for (const proto::ContainerRecord& record : records) {
      std::cout << record.id().substr(0, 12) << "\n";
    }
    return 0;
  }
  std::cout << PsTable(records, absl::Now(), line->Has("no-trunc"));
  return 0;
}

int RunLogsCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  FlagSpec spec;
  spec.boolean = {"follow"};
  spec.aliases = {{"f", "follow"}};
  absl::StatusOr<CommandLine> line =
      Parse("logs", args, spec, 1, "usage: farm logs [-f] CONTAINER\n");
  if (!line.ok()) return 1;
  std::shared_ptr<grpc::Channel> channel = OpenLocal("logs", endpoint);
  if (channel == nullptr) return 1;
  auto stub = Containers::NewStub(channel);
  proto::LogsRequest request;
  request.set_ref(line->positional()[0]);
  request.set_follow(line->Has("follow"));
  grpc::ClientContext context;
  auto reader = stub->Logs(&context, request);
  proto::LogLine log;
  while (reader->Read(&log)) {
    std::ostream& out = log.stream() == 2 ? std::cerr : std::cout;
    out << log.text() << std::flush;
  }
  absl::Status status = FromGrpcStatus(reader->Finish());
  if (!status.ok()) {
    std::cerr << "Error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

int RunStopCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  FlagSpec spec;
  spec.with_value = {"time", "timeout"};
  spec.aliases = {{"t", "time"}};
  absl::StatusOr<CommandLine> line = Parse(
      "stop", args, spec, 1, "usage: farm stop [-t SECONDS] CONTAINER...\n");
  if (!line.ok()) return 1;
  int seconds = -1;
  std::string time = line->Get("time", line->Get("timeout"));
  if (!time.empty() && !absl::SimpleAtoi(time, &seconds)) {
    std::cerr << "farm stop: invalid time \"" << time << "\"\n";
    return 1;
  }
  std::shared_ptr<grpc::Channel> channel = OpenLocal("stop", endpoint);
  if (channel == nullptr) return 1;
  return ForEachContainer(line->positional(), [&](const std::string& ref) {
    proto::StopContainerRequest request;
    request.set_ref(ref);
    request.set_timeout_seconds(seconds);
    proto::ContainerRecord record;
    return CallFarm<Containers>(channel, &Containers::Stub::Stop, request,
                                &record);
  });
}

int RunRmCommand(const std::vector<std::string>& args,
                 const FarmEndpoint& endpoint) {
  FlagSpec spec;
  spec.boolean = {"force"};
  spec.aliases = {{"f", "force"}};
  absl::StatusOr<CommandLine> line =
      Parse("rm", args, spec, 1, "usage: farm rm [-f] CONTAINER...\n");
  if (!line.ok()) return 1;
  std::shared_ptr<grpc::Channel> channel = OpenLocal("rm", endpoint);
  if (channel == nullptr) return 1;
  return ForEachContainer(line->positional(), [&](const std::string& ref) {
    proto::RemoveContainerRequest request;
    request.set_ref(ref);
    request.set_force(line->Has("force"));
    proto::ContainerRecord record;
    return CallFarm<Containers>(channel, &Containers::Stub::Remove, request,
                                &record);
  });
}

int RunExecCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  FlagSpec spec;
  spec.with_value = {"env", "user", "workdir"};
  spec.boolean = {"interactive", "tty", "it", "ti", "detach"};
  spec.aliases = {{"e", "env"},         {"u", "user"}, {"w", "workdir"},
                  {"i", "interactive"}, {"t", "tty"},  {"d", "detach"}};
  spec.stop_at_positional = true;
  absl::StatusOr<CommandLine> line = Parse(
      "exec", args, spec, 2,
      "usage: farm exec [-i] [-t] [-e K=V]... [-u USER] [-w DIR] CONTAINER "
      "COMMAND [ARG...]\n");
  if (!line.ok()) return 1;
  std::shared_ptr<grpc::Channel> channel = OpenLocal("exec", endpoint);
  if (channel == nullptr) return 1;
  proto::ContainerRef ref;
  ref.set_ref(line->positional()[0]);
  proto::ContainerRecord record;
  absl::Status found =
      CallFarm<Containers>(channel, &Containers::Stub::Find, ref, &record);
  if (!found.ok()) {
    std::cerr << "Error response from farm: " << found.message() << "\n";
    return 1;
  }
  if (record.state() != "running") {
    std::cerr << "Error response from farm: container " << record.id()
              << " is not running\n";
    return 1;
  }
  // runc runs the process in the container with this terminal, and its exit
  // status is the command's (126 or 127 when it cannot be run, as Docker).
  std::vector<std::string> argv = {"runc", "--root", record.runc_root(),
                                   "exec"};
  const bool tty = (line->Has("tty") || line->Has("it") || line->Has("ti")) &&
                   isatty(STDIN_FILENO);
  if (tty) argv.push_back("--tty");
  if (line->Has("detach")) argv.push_back("--detach");
  for (const std::string& entry : line->GetAll("env")) {
    argv.insert(argv.end(), {"--env", entry});
  }
  if (tty) argv.insert(argv.end(), {"--env", "TERM=xterm"});
  if (line->Has("user")) argv.insert(argv.end(), {"--user", line->Get("user")});
  if (line->Has("workdir")) {
    argv.insert(argv.end(), {"--cwd", line->Get("workdir")});
  }
  argv.push_back(record.runtime_id());
  argv.insert(argv.end(), line->positional().begin() + 1,
              line->positional().end());
  std::vector<char*> cargv;
  for (std::string& arg : argv) cargv.push_back(arg.data());
  cargv.push_back(nullptr);
  // Without -i the process reads nothing, as with `docker exec`.
  const bool interactive =
      line->Has("interactive") || line->Has("it") || line->Has("ti");
  if (!interactive) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, STDIN_FILENO);
  }
  CloseFarmChannels();
  execvp("runc", cargv.data());
  std::cerr << "farm exec: cannot run runc: " << strerror(errno) << "\n";
  return 126;
}

int RunServerCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint) {
  const std::string verb = args.empty() ? "" : args[0];
  if (!endpoint.remote.empty() || (verb != "status" && verb != "stop")) {
    std::cerr << "usage: farm [--root DIR] server status|stop\n";
    return 2;
  }
  std::optional<local::RunningServer> server =
      local::FindLocalServer(endpoint.root);
  if (verb == "status") {
    if (!server) {
      std::cout << "not running\n";
      return 1;
    }
    std::cout << "running (pid " << server->info.pid() << ", "
              << server->info.calls_in_flight() << " calls, "
              << server->info.containers_running() << " containers)\n";
    return 0;
  }
  if (!server) return 0;
  proto::StopLocalServerResponse response;
  absl::Status stopped = CallFarm<proto::LocalServer>(
      server->channel, &proto::LocalServer::Stub::Stop,
      proto::StopLocalServerRequest(), &response);
  if (!stopped.ok()) {
    std::cerr << "farm server stop: " << stopped.message() << "\n";
    return 1;
  }
  // Back only once it is gone, so the next command starts afresh. The
  // connection goes first: the server's shutdown waits for open ones.
  server->channel.reset();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (local::ProcessAlive(server->info.pid()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return 0;
}

}  // namespace farm::client
