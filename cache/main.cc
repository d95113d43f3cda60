// farm-cache: serves a node's RocksDB layer cache over gRPC.
//   farm-cache --listen 0.0.0.0:7070 --root /var/lib/farm-cache --max-bytes N
//              [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
//              [--tokens FILE] [--insecure] [--health-listen ADDR]
//              [--metrics-listen ADDR]
// Stops cleanly on SIGTERM or SIGINT.
#include <signal.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "auth/server_security.h"
#include "auth/server_security_flags.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/budget.h"
#include "cache/cache_metrics.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "cache/write_once_action_cache.h"
#include "common/command_flags.h"
#include "common/logging.h"
#include "common/side_port_flags.h"
#include "health/health_server.h"
#include "health/health_service.h"
#include "metrics/server_metrics.h"
#include "proto/cache.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7070",
          "address to serve on; port 0 picks a free one");
ABSL_FLAG(std::string, root, "/var/lib/farm-cache", "cache directory");
ABSL_FLAG(std::string, max_bytes, "50%",
          "blob byte budget: bytes (0 means no limit) or a share of the "
          "filesystem of --root, such as 50%");

int main(int argc, char** argv) {
  farm::UnderscoreFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);

  // Block the stop signals before gRPC starts threads, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  farm::auth::ServerSecurityFlags security_flags =
      farm::auth::ServerSecurityFlagsFromCommandLine();
  absl::StatusOr<std::unique_ptr<farm::auth::ServerSecurity>> security =
      farm::auth::ServerSecurity::Make(
          "farm-cache", absl::GetFlag(FLAGS_listen), security_flags);
  if (!security.ok()) {
    std::cerr << security.status().message() << "\n";  // names farm-cache
    return 1;
  }

  // Up first, so that probes see NOT_SERVING while RocksDB opens.
  farm::health::ServingState health;
  absl::StatusOr<std::unique_ptr<farm::health::HealthServer>> health_server =
      farm::health::HealthServer::Start(absl::GetFlag(FLAGS_health_listen),
                                        &health);
  if (!health_server.ok()) {
    std::cerr << "farm-cache: " << health_server.status().message() << "\n";
    return 1;
  }

  farm::cache::RocksDbCache::Options options;
  options.root = absl::GetFlag(FLAGS_root);
  absl::StatusOr<farm::cache::Budget> budget =
      farm::cache::ResolveBudget(absl::GetFlag(FLAGS_max_bytes), options.root);
  if (!budget.ok()) {
    std::cerr << "farm-cache: --max-bytes: " << budget.status().message()
              << "\n";
    return 1;
  }
  options.max_bytes = budget->bytes;
  FARM_LOG(INFO) << "cache budget: " << budget->description;
  absl::StatusOr<std::unique_ptr<farm::cache::RocksDbCache>> cache =
      farm::cache::RocksDbCache::Open(options);
  if (!cache.ok()) {
    FARM_LOG(ERROR) << cache.status();
    return 1;
  }
  // After the cache, so that it stops serving before the cache closes.
  farm::metrics::InterceptorFactories interceptors;
  std::unique_ptr<farm::metrics::MetricsServer> metrics;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    absl::StatusOr<std::unique_ptr<farm::metrics::MetricsServer>> started =
        farm::metrics::ServeServerMetrics(absl::GetFlag(FLAGS_metrics_listen),
                                          &interceptors);
    if (!started.ok()) {
      std::cerr << "farm-cache: " << started.status().message() << "\n";
      return 1;
    }
    metrics = *std::move(started);
    metrics->Add(std::make_shared<farm::cache::CacheMetrics>(cache->get()));
  }
  farm::cache::BlobCheckingActionCache checked((*cache)->actions(),
                                               (*cache)->blobs());
  farm::cache::WriteOnceActionCache actions(&checked, (*cache)->counters());
  farm::cache::CacheService service((*cache)->blobs(), &actions, cache->get(),
                                    (*security)->authenticator());
  farm::health::HealthService health_service(
      &health, {farm::proto::CacheService::service_full_name()});
  absl::StatusOr<farm::cache::RunningServer> server =
      farm::cache::StartGrpcServer(
          absl::GetFlag(FLAGS_listen), {&service, &health_service},
          (*security)->credentials(), std::move(interceptors));
  if (!server.ok()) {
    FARM_LOG(ERROR) << server.status();
    return 1;
  }
  // Tests read the port at the end of this line.
  FARM_LOG(INFO) << "farm-cache serving " << options.root << " ("
                 << (*security)->Describe() << ") on port " << server->port;

  health.Set(farm::health::Phase::kServing);

  int signal = 0;
  sigwait(&stop, &signal);
  FARM_LOG(INFO) << "signal " << signal << ": shutting down";
  health.Set(farm::health::Phase::kDraining);
  server->server->Shutdown();
  return 0;
}
