// farm-scheduler: serves the farm's Build, Worker, Image and Cache services.
#include <csignal>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/notification.h"
#include "cache/service/grpc_server.h"
#include "common/logging.h"
#include "scheduler/farm_node.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7700", "address to serve on");
ABSL_FLAG(std::string, root, "/var/lib/farm-scheduler", "state directory");
ABSL_FLAG(std::string, cache, "",
          "address of a farm-cache; empty keeps the cache under --root");
ABSL_FLAG(int64_t, cache_max_bytes, 0, "byte budget of the embedded cache");
ABSL_FLAG(int64_t, lease_seconds, 10, "worker lease without heartbeats");

namespace {
absl::Notification* stop = nullptr;
void OnSignal(int) {
  if (stop != nullptr && !stop->HasBeenNotified()) stop->Notify();
}
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "farm-scheduler --listen ADDR --root DIR [--cache ADDR]");
  // Accept --cache-max-bytes as well as --cache_max_bytes.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--cache-max-bytes", 0) == 0 ||
        arg.rfind("--lease-seconds", 0) == 0) {
      for (char* c = argv[i] + 2; *c != '\0' && *c != '='; ++c) {
        if (*c == '-') *c = '_';
      }
    }
  }
  absl::ParseCommandLine(argc, argv);
  farm::scheduler::FarmNodeOptions options;
  options.root = absl::GetFlag(FLAGS_root);
  options.cache_address = absl::GetFlag(FLAGS_cache);
  options.cache_max_bytes = absl::GetFlag(FLAGS_cache_max_bytes);
  options.jobs.lease = absl::Seconds(absl::GetFlag(FLAGS_lease_seconds));
  absl::StatusOr<std::unique_ptr<farm::scheduler::FarmNode>> node =
      farm::scheduler::FarmNode::Open(options);
  if (!node.ok()) {
    std::cerr << "farm-scheduler: " << node.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<farm::cache::RunningServer> server =
      farm::cache::StartGrpcServer(absl::GetFlag(FLAGS_listen),
                                   (*node)->services());
  if (!server.ok()) {
    std::cerr << "farm-scheduler: " << server.status().message() << "\n";
    return 1;
  }
  FARM_LOG(INFO) << "farm-scheduler listening on port " << server->port;
  std::cout << "listening on port " << server->port << std::endl;
  absl::Notification done;
  stop = &done;
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  done.WaitForNotification();
  FARM_LOG(INFO) << "farm-scheduler stopping";
  server->server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  server->server->Wait();
  return 0;
}
