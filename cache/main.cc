// farm-cache: serves a node's RocksDB layer cache over gRPC.
//   farm-cache --listen 0.0.0.0:7070 --root /var/lib/farm-cache --max-bytes N
//              [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
//              [--tokens FILE] [--insecure] [--health-listen ADDR]
//              [--metrics-listen ADDR]
//              [--s3-endpoint URL --s3-bucket NAME [--s3-region R]
//               [--s3-prefix P] [--s3-ca-file FILE] [--s3-parallel N]]
//              [--etcd URL[,URL...] --advertise HOST:PORT
//               [--etcd-prefix /farm] [--weight W]]
// With --s3-endpoint the RocksDB cache is a read-through, write-through
// tier in front of the bucket, which holds every blob and action result
// (docs/scale.md); the credentials come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY.
// With --etcd the node registers as PREFIX/cache-nodes/HOST:PORT under a
// lease once it serves, for schedulers started with --cache etcd://...
// Stops cleanly on SIGTERM or SIGINT, deregistering first.
#include <signal.h>

#include <algorithm>
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
#include "cache/s3/s3_action_cache.h"
#include "cache/s3/s3_blob_store.h"
#include "cache/s3/s3_bucket.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "cache/sharded/node_registration.h"
#include "cache/tiered/read_through_action_cache.h"
#include "cache/tiered/read_through_blob_store.h"
#include "cache/tiered/tier_metrics.h"
#include "cache/tiered/tiered_cache_admin.h"
#include "cache/write_once_action_cache.h"
#include "common/command_flags.h"
#include "common/etcd/etcd_client.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/side_port_flags.h"
#include "health/health_server.h"
#include "health/health_service.h"
#include "image/registry/curl_transport.h"
#include "metrics/server_metrics.h"
#include "proto/cache.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7070",
          "address to serve on; port 0 picks a free one");
ABSL_FLAG(std::string, root, "/var/lib/farm-cache", "cache directory");
ABSL_FLAG(std::string, max_bytes, "50%",
          "blob byte budget: bytes (0 means no limit) or a share of the "
          "filesystem of --root, such as 50%");
ABSL_FLAG(std::string, s3_endpoint, "",
          "an S3-compatible object store (http[s]://HOST[:PORT]) that holds "
          "every blob; the RocksDB cache becomes a tier in front of it");
ABSL_FLAG(std::string, s3_bucket, "", "the bucket of --s3-endpoint");
ABSL_FLAG(std::string, s3_region, "us-east-1", "the bucket's region");
ABSL_FLAG(std::string, s3_prefix, "", "a key prefix inside the bucket");
ABSL_FLAG(int, s3_parallel, 32,
          "requests a node keeps in flight to the object store for one "
          "batch (FindMissing's HEADs)");
ABSL_FLAG(std::string, s3_ca_file, "",
          "CA bundle for an object store with a private CA");
ABSL_FLAG(std::string, etcd, "",
          "etcd client URLs (http://HOST:PORT,...) to register this node in, "
          "under a lease, for schedulers started with --cache etcd://...");
ABSL_FLAG(std::string, advertise, "",
          "with --etcd: the HOST:PORT schedulers dial this node at");
ABSL_FLAG(std::string, etcd_prefix, "/farm",
          "with --etcd: the node registers as PREFIX/cache-nodes/HOST:PORT");
ABSL_FLAG(double, weight, 1.0,
          "with --etcd: this node's share of the digests, relative to the "
          "others'");

namespace {

// The object store behind a node's RocksDB, and the tiers over both.
struct ObjectStoreTier {
  std::unique_ptr<farm::cache::s3::S3Bucket> bucket;
  std::unique_ptr<farm::cache::s3::S3BlobStore> blobs;
  std::unique_ptr<farm::cache::s3::S3ActionCache> actions;
  std::unique_ptr<farm::cache::ReadThroughBlobStore> tier_blobs;
  std::unique_ptr<farm::cache::ReadThroughActionCache> tier_actions;
  std::unique_ptr<farm::cache::TieredCacheAdmin> tier_admin;
};

absl::StatusOr<ObjectStoreTier> OpenObjectStoreTier(
    farm::cache::RocksDbCache* cache, const std::string& root) {
  absl::StatusOr<farm::cache::s3::S3Options> options =
      farm::cache::s3::S3OptionsFromFlags(
          absl::GetFlag(FLAGS_s3_endpoint), absl::GetFlag(FLAGS_s3_bucket),
          absl::GetFlag(FLAGS_s3_region), absl::GetFlag(FLAGS_s3_prefix),
          [](const char* name) { return getenv(name); });
  if (!options.ok()) return options.status();
  options->ca_file = absl::GetFlag(FLAGS_s3_ca_file);
  options->max_parallel = std::max(1, absl::GetFlag(FLAGS_s3_parallel));
  ObjectStoreTier tier;
  tier.bucket = std::make_unique<farm::cache::s3::S3Bucket>(*options);
  absl::Status reachable = tier.bucket->Check();
  if (absl::IsUnavailable(reachable)) {
    // It may come up later; every request says so until then.
    FARM_LOG(WARNING) << "the object store does not answer yet: " << reachable;
  } else if (!reachable.ok()) {
    return reachable;
  }
  farm::cache::s3::S3BlobStoreOptions blob_options;
  blob_options.spool_dir = farm::JoinPath(root, "spool");
  absl::Status made = farm::MakeDirs(blob_options.spool_dir, 0700);
  if (!made.ok()) return made;
  tier.blobs = std::make_unique<farm::cache::s3::S3BlobStore>(tier.bucket.get(),
                                                              blob_options);
  tier.actions =
      std::make_unique<farm::cache::s3::S3ActionCache>(tier.bucket.get());
  tier.tier_blobs = std::make_unique<farm::cache::ReadThroughBlobStore>(
      cache->blobs(), tier.blobs.get());
  tier.tier_actions = std::make_unique<farm::cache::ReadThroughActionCache>(
      cache->actions(), tier.actions.get());
  tier.tier_admin =
      std::make_unique<farm::cache::TieredCacheAdmin>(cache, tier.blobs.get());
  FARM_LOG(INFO) << "in front of s3://" << options->bucket << "/"
                 << options->prefix << " at " << options->endpoint;
  return tier;
}

// The node's entry in etcd and what it talks to etcd through.
struct Registration {
  std::unique_ptr<farm::image::registry::CurlTransport> transport;
  std::unique_ptr<farm::etcd::EtcdClient> client;
  std::unique_ptr<farm::cache::NodeRegistration> entry;
};

absl::StatusOr<Registration> RegisterInEtcd() {
  if (absl::GetFlag(FLAGS_advertise).empty()) {
    return absl::InvalidArgumentError("--etcd needs --advertise HOST:PORT");
  }
  Registration r;
  r.transport = std::make_unique<farm::image::registry::CurlTransport>();
  farm::etcd::EtcdClientOptions options;
  options.endpoints = farm::etcd::SplitEndpoints(absl::GetFlag(FLAGS_etcd));
  r.client =
      std::make_unique<farm::etcd::EtcdClient>(r.transport.get(), options);
  farm::cache::NodeRegistrationOptions entry;
  entry.prefix = absl::GetFlag(FLAGS_etcd_prefix);
  entry.node = {absl::GetFlag(FLAGS_advertise), absl::GetFlag(FLAGS_weight)};
  absl::StatusOr<std::unique_ptr<farm::cache::NodeRegistration>> started =
      farm::cache::NodeRegistration::Start(r.client.get(), entry);
  if (!started.ok()) return started.status();
  r.entry = *std::move(started);
  return r;
}

}  // namespace

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
  farm::cache::BlobStore* blobs = (*cache)->blobs();
  farm::cache::ActionCache* raw_actions = (*cache)->actions();
  farm::cache::CacheAdmin* admin = cache->get();
  ObjectStoreTier tier;
  if (!absl::GetFlag(FLAGS_s3_endpoint).empty()) {
    absl::StatusOr<ObjectStoreTier> opened =
        OpenObjectStoreTier(cache->get(), options.root);
    if (!opened.ok()) {
      std::cerr << "farm-cache: object store: " << opened.status().message()
                << "\n";
      return 1;
    }
    tier = *std::move(opened);
    blobs = tier.tier_blobs.get();
    raw_actions = tier.tier_actions.get();
    admin = tier.tier_admin.get();
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
    if (tier.tier_blobs != nullptr) {
      metrics->Add(
          std::make_shared<farm::cache::TierMetrics>(tier.tier_blobs.get()));
    }
  }
  farm::cache::BlobCheckingActionCache checked(raw_actions, blobs);
  farm::cache::WriteOnceActionCache actions(&checked, (*cache)->counters());
  farm::cache::CacheService service(blobs, &actions, admin,
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
  Registration registration;
  if (!absl::GetFlag(FLAGS_etcd).empty()) {
    absl::StatusOr<Registration> registered = RegisterInEtcd();
    if (!registered.ok()) {
      std::cerr << "farm-cache: " << registered.status().message() << "\n";
      server->server->Shutdown();
      return 1;
    }
    registration = *std::move(registered);
  }

  int signal = 0;
  sigwait(&stop, &signal);
  FARM_LOG(INFO) << "signal " << signal << ": shutting down";
  // Schedulers stop sending here before the server stops answering.
  if (registration.entry != nullptr) {
    absl::Status left = registration.entry->Stop();
    if (!left.ok()) {
      FARM_LOG(WARNING) << left;
    }
  }
  health.Set(farm::health::Phase::kDraining);
  server->server->Shutdown();
  return 0;
}
