// farm-worker --scheduler ADDR --root DIR [--slots N] [--id ID]
//             [--cache-bytes N] [--runc PATH]
//             [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
//             [--token-file FILE]   (or FARM_TOKEN)
// Connects to a farm scheduler and runs the stage jobs it assigns. SIGTERM
// (or a first Ctrl-C) drains: running jobs finish, no new ones are taken,
// and the process exits 0; a second SIGINT stops at once.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "auth/client_token.h"
#include "common/logging.h"
#include "worker/farm_worker.h"
#include "worker/grpc_worker_stream.h"

namespace {

constexpr char kUsage[] =
    "usage: farm-worker --scheduler ADDR --root DIR [--slots N] [--id ID]\n"
    "                   [--cache-bytes N] [--runc PATH]\n"
    "                   [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]\n"
    "                   [--token-file FILE]   (or FARM_TOKEN)\n";

// Reads `--name value` or `--name=value`.
bool FlagValue(int argc, char** argv, int* i, const char* name,
               std::string* value) {
  std::string arg = argv[*i];
  std::string flag = std::string("--") + name;
  if (arg == flag && *i + 1 < argc) {
    *value = argv[++*i];
    return true;
  }
  if (absl::StartsWith(arg, flag + "=")) {
    *value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string scheduler, slots = "1", cache_bytes, id, root, runc = "runc";
  std::string token_file;
  farm::auth::ClientSecurity security;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (FlagValue(argc, argv, &i, "scheduler", &scheduler) ||
        FlagValue(argc, argv, &i, "root", &root) ||
        FlagValue(argc, argv, &i, "slots", &slots) ||
        FlagValue(argc, argv, &i, "id", &id) ||
        FlagValue(argc, argv, &i, "cache-bytes", &cache_bytes) ||
        FlagValue(argc, argv, &i, "runc", &runc) ||
        FlagValue(argc, argv, &i, "tls-ca", &security.tls_ca) ||
        FlagValue(argc, argv, &i, "tls-cert", &security.tls_cert) ||
        FlagValue(argc, argv, &i, "tls-key", &security.tls_key) ||
        FlagValue(argc, argv, &i, "token-file", &token_file)) {
      continue;
    }
    fprintf(stderr, "farm-worker: unknown argument \"%s\"\n%s", argv[i],
            kUsage);
    return 2;
  }
  farm::worker::FarmWorkerOptions options;
  options.root = root;
  options.worker_id = id;
  options.runc = runc;
  if (scheduler.empty() || root.empty() ||
      !absl::SimpleAtoi(slots, &options.slots) || options.slots < 1 ||
      (!cache_bytes.empty() &&
       !absl::SimpleAtoi(cache_bytes, &options.snapshot_max_bytes))) {
    fputs(kUsage, stderr);
    return 2;
  }

  // Signals are taken by one thread with sigwait, never by a handler;
  // block them before gRPC starts threads of its own.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = farm::auth::ReadTokenFile(token_file);
    if (!token.ok()) {
      fprintf(stderr, "farm-worker: %s\n",
              std::string(token.status().message()).c_str());
      return 2;
    }
    security.token = *token;
  } else if (const char* token = getenv("FARM_TOKEN")) {
    security.token = token;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      farm::worker::DialScheduler(scheduler, security);
  if (!channel.ok()) {
    fprintf(stderr, "farm-worker: %s\n",
            std::string(channel.status().message()).c_str());
    return 2;
  }

  absl::StatusOr<std::unique_ptr<farm::worker::FarmWorker>> worker =
      farm::worker::FarmWorker::Create(*channel, options);
  if (!worker.ok()) {
    fprintf(stderr, "farm-worker: %s\n", worker.status().ToString().c_str());
    return 1;
  }
  farm::worker::FarmWorker* w = worker->get();
  std::thread([w, signals] {
    int interrupts = 0;
    while (true) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0) continue;
      if (signal == SIGINT && ++interrupts > 1) {
        FARM_LOG(INFO) << "second interrupt: stopping now";
        w->Stop();
        return;
      }
      w->Drain();
    }
  }).detach();
  FARM_LOG(INFO) << "farm-worker " << w->worker_id() << " connecting to "
                 << scheduler;
  absl::Status status = w->Run();
  if (!status.ok()) {
    fprintf(stderr, "farm-worker: %s\n", status.ToString().c_str());
    return 1;
  }
  FARM_LOG(INFO) << "farm-worker " << w->worker_id() << " done";
  // The signal thread may still be in sigwait; exit without unwinding it.
  fflush(nullptr);
  _exit(0);
}
