// farm-worker --scheduler ADDR --root DIR [--slots N] [--id ID]
//             [--cache-bytes N] [--runc PATH] [--run-memory SIZE]
//             [--run-pids N] [--run-cpus N] [--run-timeout DURATION]
//             [--run-disk SIZE] [--min-free-disk SIZE|PERCENT]
//             [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
//             [--token-file FILE]   (or FARM_TOKEN)
//             [--health-listen ADDR]
//             [--metrics-listen ADDR] [--max-job-bytes SIZE]
//             [--cache-mount-max-bytes SIZE] [--keep-jobs-seconds N]
// Connects to a farm scheduler and runs the stage jobs it assigns. SIGTERM
// (or a first Ctrl-C) drains: running jobs finish, no new ones are taken,
// and the process exits 0; a second SIGINT stops at once.
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "auth/client_token.h"
#include "common/logging.h"
#include "common/malloc_tuning.h"
#include "health/health_server.h"
#include "metrics/metrics_server.h"
#include "worker/disk_reserve.h"
#include "worker/executor/limits.h"
#include "worker/farm_worker.h"
#include "worker/grpc_worker_stream.h"
#include "worker/reaper.h"
#include "worker/worker_metrics.h"

namespace {

// Below this the cache's replies on the same channel (up to ~1 MiB of
// blobs, or of digests) could stop fitting.
constexpr int kMinJobBytes = 4 << 20;

// The largest cache mount shared with the other workers, by default.
constexpr uint64_t kDefaultCacheMountMaxBytes = uint64_t{1} << 30;

// Long enough for a standby scheduler to take over (its lease is 5 s) and
// the worker to find it.
constexpr int kDefaultKeepJobsSeconds = 30;

// "4GiB" for a default in the usage.
std::string Size(uint64_t bytes) {
  return absl::StrReplaceAll(farm::executor::FormatBytes(bytes), {{" ", ""}});
}

std::string Usage() {
  return absl::StrCat(
      "usage: farm-worker --scheduler ADDR --root DIR [--slots N] [--id ID]\n"
      "                   [--cache-bytes N] [--runc PATH]\n"
      "                   [--run-memory SIZE] [--run-pids N] [--run-cpus N]\n"
      "                   [--run-timeout DURATION] [--run-disk SIZE]\n"
      "                   [--min-free-disk SIZE|PERCENT]\n"
      "                   [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]\n"
      "                   [--token-file FILE]   (or FARM_TOKEN)\n"
      "                   [--health-listen ADDR] [--metrics-listen ADDR]\n"
      "                   [--platforms PLATFORM,...]\n"
      "                   [--max-job-bytes SIZE]\n"
      "                   [--cache-mount-max-bytes SIZE]\n"
      "                   [--keep-jobs-seconds N]\n"
      "\n"
      "  --scheduler ADDR        the scheduler, or a comma-separated list of\n"
      "                          active/passive ones (host-a:7700,\n"
      "                          host-b:7700 or [::1]:7700,...); the worker\n"
      "                          follows whichever listens. Over TLS each\n"
      "                          one's certificate must name the first\n"
      "                          ADDR's host\n"
      "  --platforms LIST        offer only these of the platforms the worker\n"
      "                          runs (its own, and what binfmt_misc emulates\n"
      "                          with QEMU), e.g. linux/arm64\n"
      "  --health-listen ADDR    plaintext port serving only grpc.health.v1\n"
      "                          (SERVING once started, NOT_SERVING while\n"
      "                          draining), for Kubernetes' gRPC probes\n"
      "  --metrics-listen ADDR   plaintext HTTP address serving only\n"
      "                          Prometheus metrics at /metrics\n"
      "  --max-job-bytes SIZE    largest message taken from the scheduler (a\n"
      "                          job, or a reply of its cache); a larger one\n"
      "                          drops the connection (default ",
      Size(farm::worker::kDefaultMaxJobBytes),
      ", the\n"
      "                          scheduler's own limit; at least ",
      Size(kMinJobBytes),
      ")\n"
      "  --cache-mount-max-bytes SIZE\n"
      "                          RUN --mount=type=cache directories up to "
      "this\n"
      "                          size are shared with the other workers\n"
      "                          through the scheduler; larger ones stay on\n"
      "                          this worker; 0 shares none (default ",
      Size(kDefaultCacheMountMaxBytes),
      ")\n"
      "  --keep-jobs-seconds N   how long running jobs go on while no\n"
      "                          scheduler is connected, for the one the\n"
      "                          worker registers with next (a standby that\n"
      "                          took over) to adopt; 0 cancels them when the\n"
      "                          connection drops (default ",
      kDefaultKeepJobsSeconds,
      ")\n"
      "\n"
      "Limits of each RUN step; a build can lower them (farm build --run-*)\n"
      "but never raise them, and a step that reaches one is killed and fails\n"
      "its build. 0 means no limit.\n"
      "  --run-memory SIZE       memory, swap included (default ",
      Size(farm::executor::kDefaultRunMemory),
      ")\n"
      "  --run-pids N            processes and threads at once (default ",
      farm::executor::kDefaultRunPids,
      ")\n"
      "  --run-cpus N            CPU time in cores, e.g. 1.5 (default 0: all)\n"
      "  --run-timeout DURATION  wall-clock time, e.g. 90s, 2h (default ",
      farm::executor::FormatTimeout(farm::executor::kDefaultRunTimeout),
      ")\n"
      "  --run-disk SIZE         bytes written to the step's layer (default ",
      Size(farm::executor::kDefaultRunDisk),
      ")\n"
      "  --min-free-disk SIZE|PERCENT\n"
      "                          take no jobs while the root's filesystem has\n"
      "                          less free (default ",
      farm::worker::kDefaultMinFreeDisk,
      ")\n"
      "SIZE is bytes or takes a binary suffix: 512MiB, 4GiB (or 4g).\n");
}

// Parses the --run-* and --min-free-disk values into `options`; false
// (with a message) for a bad one.
bool ParseLimits(const std::string& memory, const std::string& pids,
                 const std::string& cpus, const std::string& timeout,
                 const std::string& disk, const std::string& min_free_disk,
                 farm::worker::FarmWorkerOptions& options) {
  farm::executor::ResourceLimits& limits = options.run_limits;
  absl::Status status;
  auto check = [&status](const char* flag, absl::Status parsed) {
    if (status.ok() && !parsed.ok()) {
      status = absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", parsed.message()));
    }
  };
  absl::StatusOr<uint64_t> bytes = farm::executor::ParseBytes(memory);
  check("run-memory", bytes.status());
  limits.memory_bytes = bytes.value_or(0);
  if (!absl::SimpleAtoi(pids, &limits.pids) || limits.pids < 0) {
    check("run-pids", absl::InvalidArgumentError(
                          absl::StrCat("\"", pids, "\" is not a count")));
  }
  absl::StatusOr<double> cores = farm::executor::ParseCpus(cpus);
  check("run-cpus", cores.status());
  limits.cpus = cores.value_or(0);
  absl::StatusOr<absl::Duration> time = farm::executor::ParseTimeout(timeout);
  check("run-timeout", time.status());
  limits.timeout = time.value_or(absl::ZeroDuration());
  bytes = farm::executor::ParseBytes(disk);
  check("run-disk", bytes.status());
  limits.disk_bytes = bytes.value_or(0);
  absl::StatusOr<farm::worker::DiskReserve> reserve =
      farm::worker::ParseDiskReserve(min_free_disk);
  check("min-free-disk", reserve.status());
  options.min_free_disk = reserve.value_or(farm::worker::DiskReserve());
  if (!status.ok()) {
    fprintf(stderr, "farm-worker: %s\n", std::string(status.message()).c_str());
  }
  return status.ok();
}

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
  farm::TuneMallocForFewerPageFaults(farm::kDaemonTopPad);
  std::string scheduler, slots = "1", cache_bytes, id, root, runc = "runc";
  std::string token_file, health_listen, metrics_listen;
  std::string run_memory = Size(farm::executor::kDefaultRunMemory);
  std::string run_pids = absl::StrCat(farm::executor::kDefaultRunPids);
  std::string run_cpus = "0";
  std::string run_timeout =
      farm::executor::FormatTimeout(farm::executor::kDefaultRunTimeout);
  std::string run_disk = Size(farm::executor::kDefaultRunDisk);
  std::string min_free_disk = farm::worker::kDefaultMinFreeDisk;
  std::string platforms;
  std::string max_job_bytes = Size(farm::worker::kDefaultMaxJobBytes);
  std::string cache_mount_max_bytes = Size(kDefaultCacheMountMaxBytes);
  std::string keep_jobs_seconds = absl::StrCat(kDefaultKeepJobsSeconds);
  farm::auth::ClientSecurity security;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      fputs(Usage().c_str(), stdout);
      return 0;
    }
    if (FlagValue(argc, argv, &i, "scheduler", &scheduler) ||
        FlagValue(argc, argv, &i, "root", &root) ||
        FlagValue(argc, argv, &i, "slots", &slots) ||
        FlagValue(argc, argv, &i, "id", &id) ||
        FlagValue(argc, argv, &i, "cache-bytes", &cache_bytes) ||
        FlagValue(argc, argv, &i, "runc", &runc) ||
        FlagValue(argc, argv, &i, "run-memory", &run_memory) ||
        FlagValue(argc, argv, &i, "run-pids", &run_pids) ||
        FlagValue(argc, argv, &i, "run-cpus", &run_cpus) ||
        FlagValue(argc, argv, &i, "run-timeout", &run_timeout) ||
        FlagValue(argc, argv, &i, "run-disk", &run_disk) ||
        FlagValue(argc, argv, &i, "min-free-disk", &min_free_disk) ||
        FlagValue(argc, argv, &i, "tls-ca", &security.tls_ca) ||
        FlagValue(argc, argv, &i, "tls-cert", &security.tls_cert) ||
        FlagValue(argc, argv, &i, "tls-key", &security.tls_key) ||
        FlagValue(argc, argv, &i, "token-file", &token_file) ||
        FlagValue(argc, argv, &i, "health-listen", &health_listen) ||
        FlagValue(argc, argv, &i, "metrics-listen", &metrics_listen) ||
        FlagValue(argc, argv, &i, "platforms", &platforms) ||
        FlagValue(argc, argv, &i, "max-job-bytes", &max_job_bytes) ||
        FlagValue(argc, argv, &i, "cache-mount-max-bytes",
                  &cache_mount_max_bytes) ||
        FlagValue(argc, argv, &i, "keep-jobs-seconds", &keep_jobs_seconds)) {
      continue;
    }
    fprintf(stderr, "farm-worker: unknown argument \"%s\"\n%s", argv[i],
            Usage().c_str());
    return 2;
  }
  farm::worker::FarmWorkerOptions options;
  options.root = root;
  options.worker_id = id;
  options.runc = runc;
  options.platforms = platforms;
  if (scheduler.empty() || root.empty() ||
      !absl::SimpleAtoi(slots, &options.slots) || options.slots < 1 ||
      (!cache_bytes.empty() &&
       !absl::SimpleAtoi(cache_bytes, &options.snapshot_max_bytes))) {
    fputs(Usage().c_str(), stderr);
    return 2;
  }
  if (!ParseLimits(run_memory, run_pids, run_cpus, run_timeout, run_disk,
                   min_free_disk, options)) {
    return 2;
  }
  absl::StatusOr<uint64_t> job_bytes =
      farm::executor::ParseBytes(max_job_bytes);
  if (job_bytes.ok() && (*job_bytes < kMinJobBytes || *job_bytes > INT_MAX)) {
    job_bytes = absl::InvalidArgumentError(absl::StrCat(
        "must be at least ", Size(kMinJobBytes), " and below 2GiB"));
  }
  if (!job_bytes.ok()) {
    fprintf(stderr, "farm-worker: --max-job-bytes: %s\n",
            std::string(job_bytes.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<uint64_t> mount_bytes =
      farm::executor::ParseBytes(cache_mount_max_bytes);
  if (!mount_bytes.ok()) {
    fprintf(stderr, "farm-worker: --cache-mount-max-bytes: %s\n",
            std::string(mount_bytes.status().message()).c_str());
    return 2;
  }
  options.cache_mount_max_bytes = *mount_bytes;
  int64_t keep_jobs = 0;
  if (!absl::SimpleAtoi(keep_jobs_seconds, &keep_jobs) || keep_jobs < 0) {
    fprintf(stderr,
            "farm-worker: --keep-jobs-seconds: \"%s\" is not a number of "
            "seconds\n",
            keep_jobs_seconds.c_str());
    return 2;
  }
  options.keep_jobs = absl::Seconds(keep_jobs);

  // Before any thread: the reaper kills this worker's steps if it dies
  // without cleaning up (kill -9).
  if (absl::Status reaper =
          root[0] == '/' ? farm::worker::StartReaper(root) : absl::OkStatus();
      !reaper.ok()) {
    fprintf(stderr, "farm-worker: %s\n", std::string(reaper.message()).c_str());
    return 1;
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
      farm::worker::DialScheduler(scheduler, security,
                                  static_cast<int>(*job_bytes));
  if (!channel.ok()) {
    fprintf(stderr, "farm-worker: %s\n",
            std::string(channel.status().message()).c_str());
    return 2;
  }

  // Up before the worker opens its state, so that probes see NOT_SERVING
  // while it cleans up after a previous run.
  farm::health::ServingState health;
  absl::StatusOr<std::unique_ptr<farm::health::HealthServer>> health_server =
      farm::health::HealthServer::Start(health_listen, &health);
  if (!health_server.ok()) {
    fprintf(stderr, "farm-worker: %s\n",
            std::string(health_server.status().message()).c_str());
    return 1;
  }
  options.on_drain = [&health] { health.Set(farm::health::Phase::kDraining); };
  // Prometheus metrics: each job as it ends, the load at each scrape.
  auto metrics = std::make_shared<farm::worker::WorkerMetrics>();
  std::unique_ptr<farm::metrics::MetricsServer> metrics_server;
  if (!metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<farm::metrics::MetricsServer>> started =
        farm::metrics::MetricsServer::Start(metrics_listen);
    if (!started.ok()) {
      fprintf(stderr, "farm-worker: %s\n",
              std::string(started.status().message()).c_str());
      return 1;
    }
    metrics_server = *std::move(started);
    metrics_server->Add(metrics);
    options.wrap_runner = [metrics](farm::worker::JobRunner* runner) {
      return metrics->Wrap(runner);
    };
  }

  absl::StatusOr<std::unique_ptr<farm::worker::FarmWorker>> worker =
      farm::worker::FarmWorker::Create(*channel, options);
  if (!worker.ok()) {
    fprintf(stderr, "farm-worker: %s\n", worker.status().ToString().c_str());
    return 1;
  }
  // The signal thread reaches the worker through this until main closes it.
  static absl::Mutex signal_mu;
  static farm::worker::FarmWorker* signal_target ABSL_GUARDED_BY(signal_mu);
  farm::worker::FarmWorker* w = worker->get();
  metrics->SetLoad([w] { return w->Load(); });
  {
    absl::MutexLock lock(&signal_mu);
    signal_target = w;
  }
  // Before the signal thread: a drain must not be overwritten.
  health.Set(farm::health::Phase::kServing);
  std::thread([signals] {
    int interrupts = 0;
    while (true) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0) continue;
      absl::MutexLock lock(&signal_mu);
      if (signal_target == nullptr) return;  // main is closing the worker
      if (signal == SIGINT && ++interrupts > 1) {
        FARM_LOG(INFO) << "second interrupt: stopping now";
        signal_target->Stop();
        return;
      }
      signal_target->Drain();
    }
  }).detach();
  FARM_LOG(INFO) << "farm-worker " << w->worker_id() << " connecting to "
                 << scheduler;
  absl::Status status = w->Run();
  const std::string worker_id = w->worker_id();
  {
    absl::MutexLock lock(&signal_mu);
    signal_target = nullptr;
  }
  // Closing the worker takes down what it keeps open ahead (spare network
  // sandboxes, which are mounts).
  metrics->SetLoad(nullptr);
  worker->reset();
  if (!status.ok()) {
    fprintf(stderr, "farm-worker: %s\n", status.ToString().c_str());
    fflush(nullptr);
    _exit(1);
  }
  FARM_LOG(INFO) << "farm-worker " << worker_id << " done";
  // The signal thread may still be in sigwait; exit without unwinding it.
  fflush(nullptr);
  _exit(0);
}
