// FarmNode: the scheduler's parts wired together under one root: the layer
// cache (embedded RocksDB, or a remote farm-cache), the image store, the
// job hub, and the gRPC services over them. farm-scheduler serves a node on
// a port; the embedded farm inside `farm` serves one in-process.
#ifndef FARM_SCHEDULER_FARM_NODE_H_
#define FARM_SCHEDULER_FARM_NODE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "auth/authenticator.h"
#include "auth/tls/channel.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "common/clock.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "image/fetch/fetch_policy.h"
#include "scheduler/build_journal.h"
#include "scheduler/build_session.h"
#include "scheduler/cache_mount_pointers.h"
#include "scheduler/image_index_storage.h"
#include "scheduler/image_resolver.h"
#include "scheduler/image_store.h"
#include "scheduler/job_scheduler.h"
#include "scheduler/layer_upload_watch.h"
#include "scheduler/registry_images.h"
#include "scheduler/scheduler_core.h"
#include "scheduler/service/image_service.h"
#include "scheduler/session_table.h"
#include "scheduler/shared_cache_mounts.h"
#include "scheduler/tenant_keys.h"

namespace farm::scheduler {

class BuildService;

struct FarmNodeOptions {
  std::string root = "/var/lib/farm";
  // "host:port" of a farm-cache, several as "ADDR[=WEIGHT],...", or
  // "etcd://HOST:PORT[,...][/PREFIX]" for the nodes registered there; ""
  // keeps the cache in root/cache.
  std::string cache_address;
  // How to reach that farm-cache: TLS files and a token (an admin's).
  auth::ClientSecurity cache_security;
  // Who may call the node's services; null: no identities, every caller is
  // the admin of the default tenant (the embedded farm, loopback).
  const auth::Authenticator* authenticator = nullptr;
  // Action results are kept per tenant unless tenants share them
  // (--share-cache-across-tenants); blobs are always shared.
  bool share_cache_across_tenants = false;
  // Check every stage result a worker reports (ResultVerifier: its layers
  // are read back and decompressed) before builds use it. Off only where
  // the one worker is this process itself (the embedded farm): there the
  // check reads every new layer again and proves nothing.
  bool verify_results = true;
  // Entitlements granted to builds that ask (--allow-entitlement).
  std::set<std::string> entitlements;
  // Hosts ADD <url> may reach whatever they resolve to (--allow-fetch-host).
  std::vector<std::string> allowed_fetch_hosts;
  int max_slots_per_worker = 64;
  uint64_t cache_max_bytes = 0;  // 0: no budget
  // Load the local cache's blob index at open (see
  // RocksDbBlobStore::Options::index_at_open); off for one short command.
  bool index_cache_at_open = true;
  JobSchedulerOptions jobs;
  absl::Duration client_grace = absl::Seconds(5);
  // Finished builds kept for `farm builds` and re-attaches, and how many
  // builds one tenant may run at once.
  SessionLimits finished_builds;
  // Limits of one build (SessionDeps): its context's bytes (0: none) and
  // its log's bytes in all.
  int64_t max_context_bytes = 0;
  int64_t max_build_log_bytes = int64_t{64} << 20;
  // SessionDeps::inline_context_limit.
  int64_t inline_context_bytes = int64_t{4} << 20;
  // How often images that lost every tag (an untagged build, a tag moved
  // to a newer image) are deleted, as `farm image prune` does, so that a
  // long-running farm's image store and the blobs it pins stay bounded.
  // Zero keeps them until pruned by hand, as Docker does (the embedded
  // farm).
  absl::Duration prune_untagged_every = absl::ZeroDuration();
  Clock* clock = RealClock::Get();
  // The dashboard's address, for each build's page URL; "": no dashboard.
  std::string dashboard_url;
  // Registries reached over plain HTTP besides loopback and config.json's
  // "insecure-registries". No binary sets it: there is no such flag.
  std::vector<std::string> insecure_registries;
  // A failover group's shared state (farm-scheduler --etcd), made once this
  // scheduler leads. Where running builds are written down for a scheduler
  // that takes over; null: nowhere. Not owned.
  BuildJournal* journal = nullptr;
  // The image index's and the cache-mount pointers' storage; null: files
  // under root.
  std::function<std::unique_ptr<ImageIndexStorage>()> image_index;
  std::function<std::unique_ptr<CacheMountPointers>()> cache_mount_pointers;
  // Names a container that uses the image with this id ("" when none), so
  // `farm rmi` refuses to delete it, as Docker does; the local server's.
  ImageService::InUseFn image_in_use;
};

class FarmNode {
 public:
  static absl::StatusOr<std::unique_ptr<FarmNode>> Open(
      FarmNodeOptions options);
  ~FarmNode();

  // Cache, Image, Build, Worker and CacheMount services; owned by the node.
  std::vector<grpc::Service*> services();

  cache::BlobStore* blobs() { return blobs_; }
  cache::ActionCache* actions() { return actions_.get(); }
  // The default tenant's images (the embedded farm's, and tests').
  ImageStore* images() { return images_->ForTenant(auth::kDefaultTenant); }
  ImageStores* image_stores() { return images_.get(); }
  SchedulerCore* core() { return core_.get(); }
  // What the CacheMountService serves (tests reach it directly).
  SharedCacheMounts* shared_cache_mounts() {
    return shared_cache_mounts_.get();
  }
  // The cache under root/cache, for its metrics; null when the node uses a
  // farm-cache, which serves its own.
  cache::CacheAdmin* embedded_cache();
  // The cache's admin view, embedded or remote (the dashboard's cache page).
  cache::CacheAdmin* cache_admin();
  // Sets FarmNodeOptions::dashboard_url once the dashboard has its port;
  // call before the services serve.
  void set_dashboard_url(std::string url) {
    options_.dashboard_url = std::move(url);
  }
  // The builds running and kept (the dashboard's builds pages).
  BuildService* build_service() { return build_service_; }
  // Resumes the builds FarmNodeOptions::journal holds (this node took over
  // from another scheduler); returns how many. 0 without a journal.
  absl::StatusOr<int> ResumeBuilds();

 private:
  struct Parts;
  FarmNode();
  // The steps of Open.
  absl::Status OpenCache(const FarmNodeOptions& options);
  absl::Status OpenImages(const FarmNodeOptions& options);
  absl::Status OpenCacheMounts(const FarmNodeOptions& options);
  void MakeServices();
  // What a build of `tenant` uses.
  absl::StatusOr<SessionDeps> SessionDepsFor(const std::string& tenant);

  FarmNodeOptions options_;
  std::string spool_dir_;
  std::unique_ptr<Parts> parts_;
  cache::BlobStore* blobs_ = nullptr;
  std::unique_ptr<cache::ActionCache> actions_;
  std::unique_ptr<ImageStores> images_;
  std::unique_ptr<DistributionForms> forms_;
  std::unique_ptr<RegistryImages> registry_;
  std::unique_ptr<TenantKeys> tenant_keys_;
  std::unique_ptr<image::FetchPolicy> fetch_policy_;
  std::unique_ptr<ResultVerifier> verifier_;
  // With a verifier: the CAS as the CacheService serves it, telling the
  // verifier of each layer a worker uploads.
  std::unique_ptr<LayerUploadWatch> upload_watch_;
  std::unique_ptr<auth::Authenticator> open_authenticator_;
  std::unique_ptr<SchedulerCore> core_;
  // The newest generation of each tenant's cache mounts, and what the
  // CacheMountService does with them.
  std::unique_ptr<CacheMountPointers> cache_mount_pointers_;
  std::unique_ptr<SharedCacheMounts> shared_cache_mounts_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  BuildService* build_service_ = nullptr;  // one of services_
  // Pins the image store's blobs in the cache under this node's name;
  // the ticker renews the pins so that they never lapse while it runs.
  std::function<void(absl::flat_hash_set<Digest>)> pin_images_;
  // Deletes every tenant's images without tags (the ticker, every
  // FarmNodeOptions::prune_untagged_every).
  void PruneUntaggedImages();
  // Set when the node closes; wakes the ticker at once.
  absl::Notification stopping_;
  std::thread ticker_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_FARM_NODE_H_
