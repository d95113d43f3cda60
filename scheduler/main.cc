// farm-scheduler: serves the farm's Build, Worker, Image and Cache services.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/client_token.h"
#include "auth/listen_policy.h"
#include "auth/server_security.h"
#include "auth/server_security_flags.h"
#include "cache/budget.h"
#include "cache/cache_metrics.h"
#include "cache/service/grpc_server.h"
#include "common/command_flags.h"
#include "common/etcd/etcd_client.h"
#include "common/logging.h"
#include "common/malloc_tuning.h"
#include "common/side_port_flags.h"
#include "dashboard/dashboard_server.h"
#include "health/health_server.h"
#include "health/health_service.h"
#include "metrics/server_metrics.h"
#include "proto/build.grpc.pb.h"
#include "proto/cache.grpc.pb.h"
#include "proto/image.grpc.pb.h"
#include "proto/worker.grpc.pb.h"
#include "scheduler/dashboard_view.h"
#include "scheduler/entitlements.h"
#include "scheduler/etcd_build_journal.h"
#include "scheduler/etcd_cache_mount_pointers.h"
#include "scheduler/etcd_image_index_storage.h"
#include "scheduler/farm_node.h"
#include "scheduler/leadership.h"
#include "scheduler/scheduler_metrics.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7700", "address to serve on");
ABSL_FLAG(std::string, root, "/var/lib/farm-scheduler", "state directory");
ABSL_FLAG(std::string, cache, "",
          "a farm-cache's address, or several as ADDR[=WEIGHT],... that "
          "share the digests by rendezvous hashing, or "
          "etcd://HOST:PORT[,HOST:PORT...][/PREFIX] for the farm-cache nodes "
          "registered in etcd under PREFIX/cache-nodes/ (default /farm), "
          "followed as they come and go; empty keeps the cache under --root");
ABSL_FLAG(std::string, cache_max_bytes, "50%",
          "byte budget of the embedded cache: bytes (0 means no limit) or a "
          "share of the filesystem of --root, such as 50%");
ABSL_FLAG(int, keep_builds, 200,
          "finished builds kept for `farm builds` and re-attaches");
ABSL_FLAG(int64_t, keep_build_bytes, int64_t{256} << 20,
          "bytes of events and logs of finished builds kept, oldest first");
ABSL_FLAG(absl::Duration, keep_builds_for, absl::Hours(1),
          "how long a finished build is kept");
ABSL_FLAG(int, max_builds_per_tenant, 64,
          "builds one tenant may run at once; 0 means no limit");
ABSL_FLAG(int64_t, max_context_bytes, 0,
          "bytes of files one build's context may hold; 0 means no limit");
ABSL_FLAG(int64_t, max_build_log_bytes, int64_t{64} << 20,
          "log bytes one build may send in all (each step: 2 MiB)");
ABSL_FLAG(absl::Duration, prune_untagged_every, absl::Hours(24),
          "how often images without a tag are deleted (0s: never, as "
          "Docker keeps them until `image prune`)");
ABSL_FLAG(int64_t, inline_context_bytes, int64_t{4} << 20,
          "a stage job's context entries past this many bytes go to workers "
          "as a CAS blob instead of inside the job message");
ABSL_FLAG(int64_t, lease_seconds, 10, "worker lease without heartbeats");
ABSL_FLAG(std::string, cache_tls_ca, "", "CA of the farm-cache's certificate");
ABSL_FLAG(std::string, cache_tls_cert, "",
          "client certificate for the farm-cache");
ABSL_FLAG(std::string, cache_tls_key, "", "its private key");
ABSL_FLAG(std::string, cache_token_file, "",
          "file holding a token for the farm-cache (an admin's)");
ABSL_FLAG(bool, share_cache_across_tenants, false,
          "share action results between tenants (blobs are always shared)");
ABSL_FLAG(int64_t, emulation_wait_seconds, 10,
          "how long a stage waits for a worker that runs its platform "
          "natively before one that emulates it takes it");
ABSL_FLAG(int64_t, cache_mount_wait_seconds, 3,
          "how long a stage that mounts a cache waits for the busy worker "
          "its cache belongs to before another worker takes it");
ABSL_FLAG(int32_t, max_slots_per_worker, 64,
          "slots used of what a worker offers at most");
ABSL_FLAG(std::string, etcd, "",
          "etcd client URLs (http://HOST:PORT,...): run as one of a group of "
          "farm-schedulers over the same --cache; the one elected leader "
          "serves, the others stand by without listening and take over "
          "when it goes, resuming its builds");
ABSL_FLAG(std::string, etcd_prefix, "/farm",
          "where the group keeps its election and shared state in etcd");
ABSL_FLAG(std::string, advertise, "",
          "this scheduler's address as clients reach it, kept in etcd while "
          "it leads (default: --listen)");
ABSL_FLAG(int64_t, leader_lease_seconds, 5,
          "how long the group waits for a leader that stopped answering");
ABSL_FLAG(std::string, http_listen, "",
          "address of the web dashboard (HOST:PORT), with the TLS files "
          "and identities of --listen; empty: no dashboard");
ABSL_FLAG(std::string, dashboard_url, "",
          "the dashboard's address as browsers reach it, for the build "
          "page URLs that `farm build` prints (default: from --http-listen)");

namespace {
absl::Notification* stop = nullptr;
void OnSignal(int) {
  if (stop != nullptr && !stop->HasBeenNotified()) stop->Notify();
}

int Fail(const absl::Status& status) {
  // Some messages already start with the program's name.
  if (!absl::StartsWith(status.message(), "farm-scheduler")) {
    std::cerr << "farm-scheduler: ";
  }
  std::cerr << status.message() << "\n";
  return 1;
}

// The options a node gets from the flags (repeatable ones taken earlier).
absl::StatusOr<farm::scheduler::FarmNodeOptions> NodeOptions(
    const std::vector<std::string>& entitlements,
    const std::vector<std::string>& fetch_hosts) {
  farm::scheduler::FarmNodeOptions options;
  options.root = absl::GetFlag(FLAGS_root);
  options.cache_address = absl::GetFlag(FLAGS_cache);
  options.finished_builds.max_finished =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_keep_builds)));
  options.finished_builds.max_bytes = absl::GetFlag(FLAGS_keep_build_bytes);
  options.finished_builds.max_age = absl::GetFlag(FLAGS_keep_builds_for);
  options.finished_builds.max_running_per_tenant =
      absl::GetFlag(FLAGS_max_builds_per_tenant);
  options.max_context_bytes = absl::GetFlag(FLAGS_max_context_bytes);
  options.max_build_log_bytes = absl::GetFlag(FLAGS_max_build_log_bytes);
  options.inline_context_bytes = absl::GetFlag(FLAGS_inline_context_bytes);
  options.prune_untagged_every = absl::GetFlag(FLAGS_prune_untagged_every);
  if (absl::GetFlag(FLAGS_cache).empty()) {
    absl::StatusOr<farm::cache::Budget> budget = farm::cache::ResolveBudget(
        absl::GetFlag(FLAGS_cache_max_bytes), options.root);
    if (!budget.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cache-max-bytes: ", budget.status().message()));
    }
    options.cache_max_bytes = budget->bytes;
    FARM_LOG(INFO) << "embedded cache budget: " << budget->description;
  }
  options.jobs.lease = absl::Seconds(absl::GetFlag(FLAGS_lease_seconds));
  options.jobs.emulation_wait =
      absl::Seconds(absl::GetFlag(FLAGS_emulation_wait_seconds));
  options.jobs.cache_mount_wait =
      absl::Seconds(absl::GetFlag(FLAGS_cache_mount_wait_seconds));
  // Ids no earlier scheduler gave: workers bring back the jobs they kept
  // running under their old ids.
  options.jobs.job_id_prefix = absl::StrCat(
      "job-", absl::Hex(absl::ToUnixMicros(absl::Now()) & 0xffffffffff), "-");
  options.cache_security.tls_ca = absl::GetFlag(FLAGS_cache_tls_ca);
  options.cache_security.tls_cert = absl::GetFlag(FLAGS_cache_tls_cert);
  options.cache_security.tls_key = absl::GetFlag(FLAGS_cache_tls_key);
  if (!absl::GetFlag(FLAGS_cache_token_file).empty()) {
    absl::StatusOr<std::string> token =
        farm::auth::ReadTokenFile(absl::GetFlag(FLAGS_cache_token_file));
    if (!token.ok()) return token.status();
    options.cache_security.token = *token;
  }
  options.share_cache_across_tenants =
      absl::GetFlag(FLAGS_share_cache_across_tenants);
  for (const std::string& name : entitlements) {
    absl::Status valid = farm::scheduler::ValidateEntitlement(name);
    if (!valid.ok()) return valid;
    options.entitlements.insert(name);
  }
  options.allowed_fetch_hosts = fetch_hosts;
  options.max_slots_per_worker = absl::GetFlag(FLAGS_max_slots_per_worker);
  if (options.max_slots_per_worker < 1) {
    return absl::InvalidArgumentError("--max-slots-per-worker must be >= 1");
  }
  return options;
}

// Joins the group once and waits to lead. kAborted when stopped while
// standing by, or when its lease lapsed meanwhile.
absl::StatusOr<std::unique_ptr<farm::scheduler::SchedulerLeadership>> StandBy(
    const farm::scheduler::LeadershipOptions& options,
    absl::Notification* stopping) {
  absl::StatusOr<std::unique_ptr<farm::scheduler::SchedulerLeadership>>
      leadership = farm::scheduler::SchedulerLeadership::Join(options);
  if (!leadership.ok()) return leadership.status();
  farm::scheduler::SchedulerLeadership* l = leadership->get();
  // A stop while standing by resigns the candidacy, which ends AwaitLead.
  // Joined before returning: it must not outlive the leadership it uses.
  absl::Notification standing_by_over;
  std::thread resign_on_stop([stopping, l, &standing_by_over] {
    while (!stopping->WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
      if (standing_by_over.HasBeenNotified()) return;
    }
    l->Resign();
  });
  FARM_LOG(INFO) << "standing by under " << options.prefix << " in etcd";
  absl::Status led = l->AwaitLead();
  standing_by_over.Notify();
  resign_on_stop.join();
  if (!led.ok()) return led;
  if (stopping->HasBeenNotified()) {
    return absl::AbortedError("stopped as it came to lead");
  }
  return leadership;
}

// With --etcd: joins the group and waits to lead; null without. kAborted
// when stopped while standing by.
absl::StatusOr<std::unique_ptr<farm::scheduler::SchedulerLeadership>>
AwaitLeadership(absl::Notification* stopping) {
  if (absl::GetFlag(FLAGS_etcd).empty()) return nullptr;
  if (absl::GetFlag(FLAGS_cache).empty()) {
    return absl::InvalidArgumentError(
        "--etcd needs --cache: the schedulers of a group share contexts, "
        "layers and images through farm-cache");
  }
  farm::scheduler::LeadershipOptions options;
  options.endpoints = farm::etcd::SplitEndpoints(absl::GetFlag(FLAGS_etcd));
  options.prefix = absl::GetFlag(FLAGS_etcd_prefix);
  options.advertise = absl::GetFlag(FLAGS_advertise).empty()
                          ? absl::GetFlag(FLAGS_listen)
                          : absl::GetFlag(FLAGS_advertise);
  options.lease_seconds = absl::GetFlag(FLAGS_leader_lease_seconds);
  while (true) {
    absl::StatusOr<std::unique_ptr<farm::scheduler::SchedulerLeadership>>
        leadership = StandBy(options, stopping);
    // A standby holds nothing yet: when its lease lapsed (etcd slow to
    // answer its keep-alives) or etcd failed it, it campaigns again rather
    // than exit. Only a stop or a wrong flag ends it.
    if (!leadership.ok() && !stopping->HasBeenNotified() &&
        !absl::IsInvalidArgument(leadership.status())) {
      FARM_LOG(WARNING) << "standing by: " << leadership.status()
                        << "; joining the group again";
      absl::SleepFor(absl::Milliseconds(500));
      continue;
    }
    if (leadership.ok()) {
      FARM_LOG(INFO) << "leading the farm-schedulers under " << options.prefix
                     << " as " << options.advertise;
    }
    return leadership;
  }
}

// The dashboard, when --http-listen asks for one; null otherwise.
absl::StatusOr<std::unique_ptr<farm::dashboard::DashboardServer>>
StartDashboard(const farm::auth::ServerSecurityFlags& security,
               const farm::auth::Authenticator* authenticator,
               farm::dashboard::FarmView* view) {
  const std::string address = absl::GetFlag(FLAGS_http_listen);
  if (address.empty()) return nullptr;
  absl::Status safe = farm::auth::CheckListenSecurity(
      "farm-scheduler --http-listen", address, !security.tls_cert.empty(),
      !authenticator->open(), security.insecure);
  if (!safe.ok()) return safe;
  farm::dashboard::DashboardOptions options;
  options.http.address = address;
  options.http.tls_cert = security.tls_cert;
  options.http.tls_key = security.tls_key;
  options.http.tls_client_ca = security.tls_client_ca;
  options.farm = view;
  options.authenticator = authenticator;
  return farm::dashboard::DashboardServer::Start(std::move(options));
}

}  // namespace

int main(int argc, char** argv) {
  farm::TuneMallocForFewerPageFaults(farm::kDaemonTopPad);
  absl::SetProgramUsageMessage(
      "farm-scheduler --listen ADDR --root DIR\n"
      "  [--cache ADDR[=W][,ADDR[=W]...] | --cache "
      "etcd://HOST:PORT[,...][/PREFIX]]\n"
      "  [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]\n"
      "  [--tokens FILE] [--insecure] [--share-cache-across-tenants]\n"
      "  [--allow-entitlement security.insecure|network.host]...\n"
      "  [--allow-fetch-host HOST]... [--max-slots-per-worker N]\n"
      "  [--cache-tls-ca FILE] [--cache-tls-cert FILE --cache-tls-key FILE]\n"
      "  [--cache-token-file FILE] [--health-listen ADDR]\n"
      "  [--metrics-listen ADDR] [--http-listen ADDR [--dashboard-url URL]]\n"
      "  [--etcd URL[,URL...] [--etcd-prefix P] [--advertise HOST:PORT]]");
  // Repeatable flags first, then --dashed-names as Abseil's underscores.
  std::vector<std::string> entitlements =
      farm::TakeRepeatedFlag(&argc, argv, "allow-entitlement");
  std::vector<std::string> fetch_hosts =
      farm::TakeRepeatedFlag(&argc, argv, "allow-fetch-host");
  farm::UnderscoreFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);

  farm::auth::ServerSecurityFlags security_flags =
      farm::auth::ServerSecurityFlagsFromCommandLine();
  absl::StatusOr<std::unique_ptr<farm::auth::ServerSecurity>> security =
      farm::auth::ServerSecurity::Make(
          "farm-scheduler", absl::GetFlag(FLAGS_listen), security_flags);
  if (!security.ok()) return Fail(security.status());

  // Up first, so that probes see NOT_SERVING while the stores open.
  farm::health::ServingState health;
  absl::StatusOr<std::unique_ptr<farm::health::HealthServer>> health_server =
      farm::health::HealthServer::Start(absl::GetFlag(FLAGS_health_listen),
                                        &health);
  if (!health_server.ok()) return Fail(health_server.status());

  absl::StatusOr<farm::scheduler::FarmNodeOptions> options =
      NodeOptions(entitlements, fetch_hosts);
  if (!options.ok()) return Fail(options.status());
  options->authenticator = (*security)->authenticator();

  absl::Notification done;
  stop = &done;
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  absl::StatusOr<std::unique_ptr<farm::scheduler::SchedulerLeadership>>
      leadership = AwaitLeadership(&done);
  if (absl::IsAborted(leadership.status())) return 0;  // stopped standing by
  if (!leadership.ok()) return Fail(leadership.status());
  std::unique_ptr<farm::scheduler::EtcdBuildJournal> journal;
  if (*leadership != nullptr) {
    // Made now that this scheduler leads: each loads what the last leader
    // wrote, and writes only under this one's fence.
    farm::etcd::EtcdClient* etcd = (*leadership)->client();
    const std::string prefix = (*leadership)->prefix();
    const farm::scheduler::FencedWriter write = (*leadership)->fenced_writer();
    journal = std::make_unique<farm::scheduler::EtcdBuildJournal>(etcd, prefix,
                                                                  write);
    options->journal = journal.get();
    options->image_index = [etcd, prefix, write] {
      return std::make_unique<farm::scheduler::EtcdImageIndexStorage>(
          etcd, prefix, write);
    };
    options->cache_mount_pointers = [etcd, prefix, write] {
      return std::make_unique<farm::scheduler::EtcdCacheMountPointers>(
          etcd, prefix, write);
    };
  }
  absl::StatusOr<std::unique_ptr<farm::scheduler::FarmNode>> node =
      farm::scheduler::FarmNode::Open(*options);
  if (!node.ok()) return Fail(node.status());
  farm::scheduler::SchedulerDashboardView dashboard_view(node->get());
  absl::StatusOr<std::unique_ptr<farm::dashboard::DashboardServer>> dashboard =
      StartDashboard(security_flags, (*security)->authenticator(),
                     &dashboard_view);
  if (!dashboard.ok()) return Fail(dashboard.status());
  std::string dashboard_url;
  if (*dashboard != nullptr) {
    dashboard_url = absl::GetFlag(FLAGS_dashboard_url).empty()
                        ? (*dashboard)->url()
                        : absl::GetFlag(FLAGS_dashboard_url);
    (*node)->set_dashboard_url(dashboard_url);
  }
  // After the node, so that it stops serving before the node closes.
  farm::metrics::InterceptorFactories interceptors;
  std::unique_ptr<farm::metrics::MetricsServer> metrics;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    absl::StatusOr<std::unique_ptr<farm::metrics::MetricsServer>> started =
        farm::metrics::ServeServerMetrics(absl::GetFlag(FLAGS_metrics_listen),
                                          &interceptors);
    if (!started.ok()) return Fail(started.status());
    metrics = *std::move(started);
    metrics->Add(
        std::make_shared<farm::scheduler::SchedulerMetrics>((*node)->core()));
    if (farm::cache::CacheAdmin* cache = (*node)->embedded_cache()) {
      metrics->Add(std::make_shared<farm::cache::CacheMetrics>(cache));
    }
  }
  // Before listening: a client that re-attaches must find its build.
  if (*leadership != nullptr) {
    (*leadership)->WatchLead([] {
      // Another scheduler leads by now, or will within its wait: serving
      // on would dispatch twice what its journal resumes. Writes already
      // fail at the fence; stop everything else at once.
      FARM_LOG(ERROR) << "lost the lead of the farm-schedulers; exiting";
      _exit(3);
    });
    absl::StatusOr<int> resumed = (*node)->ResumeBuilds();
    if (!resumed.ok()) {
      FARM_LOG(ERROR) << "resuming the builds of the scheduler that led "
                         "before: "
                      << resumed.status();
    } else if (*resumed > 0) {
      FARM_LOG(INFO) << "resumed " << *resumed << " builds";
    }
  }
  farm::health::HealthService health_service(
      &health, {farm::proto::BuildService::service_full_name(),
                farm::proto::WorkerService::service_full_name(),
                farm::proto::CacheMountService::service_full_name(),
                farm::proto::ImageService::service_full_name(),
                farm::proto::CacheService::service_full_name()});
  std::vector<grpc::Service*> services = (*node)->services();
  services.push_back(&health_service);
  absl::StatusOr<farm::cache::RunningServer> server =
      farm::cache::StartGrpcServer(absl::GetFlag(FLAGS_listen), services,
                                   (*security)->credentials(),
                                   std::move(interceptors));
  if (!server.ok()) return Fail(server.status());
  health.Set(farm::health::Phase::kServing);
  FARM_LOG(INFO) << "farm-scheduler listening on port " << server->port << " ("
                 << (*security)->Describe() << ")";
  std::cout << "listening on port " << server->port << std::endl;
  if (!dashboard_url.empty()) {
    FARM_LOG(INFO) << "dashboard at " << dashboard_url;
    std::cout << "dashboard at " << dashboard_url << std::endl;
  }
  done.WaitForNotification();
  FARM_LOG(INFO) << "farm-scheduler stopping";
  // A standby leads at once and resumes what runs here: nothing this
  // scheduler does from now on can be written down.
  if (*leadership != nullptr) {
    (*leadership)->Resign();
    (*node)->core()->CloseWorkerStreams();
  }
  health.Set(farm::health::Phase::kDraining);
  // A group's next leader resumes every build and adopts the workers' jobs:
  // streams held open here would only keep clients and workers from it.
  const absl::Duration grace =
      *leadership != nullptr ? absl::ZeroDuration() : absl::Seconds(5);
  server->server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server->server->Wait();
  dashboard->reset();  // its streams end before the node closes
  return 0;
}
