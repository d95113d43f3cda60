#include "scheduler/farm_node.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/remote/channel.h"
#include "cache/remote/remote_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "cache/remote/remote_cache_admin.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/sharded/cache_nodes.h"
#include "cache/sharded/etcd_cache_layout.h"
#include "cache/sharded/etcd_sharded_cache.h"
#include "cache/sharded/remote_sharded_cache.h"
#include "cache/write_once_action_cache.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "scheduler/file_cache_mount_pointers.h"
#include "scheduler/service/build_service.h"
#include "scheduler/service/cache_mount_service.h"
#include "scheduler/service/image_service.h"
#include "scheduler/service/worker_service.h"

namespace farm::scheduler {

namespace {

// The cache admin the node serves: pruning never removes what images
// still need.
class ImageKeepingAdmin : public cache::CacheAdmin {
 public:
  ImageKeepingAdmin(cache::CacheAdmin* inner, ImageStores* images)
      : inner_(inner), images_(images) {}
  absl::StatusOr<cache::CacheStats> Stats() override { return inner_->Stats(); }
  absl::StatusOr<cache::PruneResult> Prune(
      const cache::PruneOptions& options) override {
    cache::PruneOptions keeping = options;
    for (const Digest& digest : images_->ReferencedBlobs()) {
      keeping.keep.insert(digest);
    }
    return inner_->Prune(keeping);
  }
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override {
    return inner_->SetPins(owner, std::move(digests));
  }
  absl::Status Delete(const std::vector<Digest>& digests) override {
    absl::flat_hash_set<Digest> needed = images_->ReferencedBlobs();
    for (const Digest& digest : digests) {
      if (needed.contains(digest)) {
        return absl::FailedPreconditionError(
            absl::StrCat("blob ", digest.ToString(),
                         " belongs to a stored image and cannot be deleted"));
      }
    }
    return inner_->Delete(digests);
  }

 private:
  cache::CacheAdmin* inner_;
  ImageStores* images_;
};

// The name this node pins its images' blobs under: made once and kept in
// <root>/cache-owner, so a restarted scheduler renews its own pins rather
// than adding an owner that a shared farm-cache would keep for a day.
absl::StatusOr<std::string> CacheOwner(const std::string& root) {
  const std::string path = JoinPath(root, "cache-owner");
  if (PathExists(path)) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    std::string owner(absl::StripAsciiWhitespace(text));
    if (!owner.empty()) return owner;
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const std::string owner = absl::StrCat("farm-scheduler ", host, " ", root,
                                         " ", absl::ToUnixNanos(absl::Now()));
  RETURN_IF_ERROR(WriteFileAtomic(path, owner + "\n", 0600));
  return owner;
}

// Pins lapse after a day without renewal (cache/pin_registry.h).
constexpr absl::Duration kPinRenewal = absl::Minutes(10);

}  // namespace

// Whichever cache backs the node, and what only one kind has.
struct FarmNode::Parts {
  std::unique_ptr<cache::RocksDbCache> local;
  std::unique_ptr<cache::RemoteBlobStore> remote_blobs;
  std::unique_ptr<cache::RemoteActionCache> remote_actions;
  std::unique_ptr<cache::RemoteCacheAdmin> remote_admin;
  std::unique_ptr<cache::RemoteShardedCache> sharded;
  std::unique_ptr<cache::EtcdShardedCache> discovered;
  cache::ActionCache* raw_actions = nullptr;
  cache::CacheAdmin* raw_admin = nullptr;
  // What the node serves to workers: first results are kept (a remote
  // farm-cache keeps them itself).
  std::unique_ptr<cache::WriteOnceActionCache> write_once;
  cache::ActionCache* served_actions = nullptr;
  std::unique_ptr<ImageKeepingAdmin> admin;
  // The name this node pins blobs under (CacheOwner).
  std::string pin_owner;
};

FarmNode::FarmNode() : parts_(new Parts) {}

FarmNode::~FarmNode() {
  stopping_.Notify();
  if (ticker_.joinable()) ticker_.join();
  services_.clear();  // sessions end before the stores they use
}

absl::Status FarmNode::OpenCache(const FarmNodeOptions& options) {
  Parts& parts = *parts_;
  if (options.cache_address.empty()) {
    cache::RocksDbCache::Options cache_options;
    cache_options.root = JoinPath(options.root, "cache");
    cache_options.max_bytes = options.cache_max_bytes;
    cache_options.clock = options.clock;
    cache_options.index_blobs_at_open = options.index_cache_at_open;
    ASSIGN_OR_RETURN(parts.local, cache::RocksDbCache::Open(cache_options));
    blobs_ = parts.local->blobs();
    parts.raw_actions = parts.local->actions();
    parts.raw_admin = parts.local.get();
  } else if (cache::IsEtcdCacheTarget(options.cache_address)) {
    // The nodes registered in etcd, followed as they come and go.
    ASSIGN_OR_RETURN(cache::EtcdCacheTarget target,
                     cache::ParseEtcdCacheTarget(options.cache_address));
    parts.discovered = cache::EtcdShardedCache::Open(
        target, options.cache_security, options.clock);
    blobs_ = parts.discovered->blobs();
    parts.raw_actions = parts.discovered->actions();
    parts.raw_admin = parts.discovered->admin();
  } else {
    ASSIGN_OR_RETURN(std::vector<cache::CacheNode> nodes,
                     cache::ParseCacheNodes(options.cache_address));
    if (nodes.size() > 1) {
      // Several nodes share the digests by rendezvous hashing (docs/scale.md).
      ASSIGN_OR_RETURN(parts.sharded,
                       cache::RemoteShardedCache::Dial(
                           nodes, options.cache_security, options.clock));
      blobs_ = parts.sharded->blobs();
      parts.raw_actions = parts.sharded->actions();
      parts.raw_admin = parts.sharded->admin();
    } else {
      ASSIGN_OR_RETURN(
          std::shared_ptr<grpc::Channel> channel,
          cache::DialCache(nodes[0].address, options.cache_security));
      parts.remote_blobs = std::make_unique<cache::RemoteBlobStore>(channel);
      parts.remote_actions =
          std::make_unique<cache::RemoteActionCache>(channel);
      parts.remote_admin = std::make_unique<cache::RemoteCacheAdmin>(channel);
      blobs_ = parts.remote_blobs.get();
      parts.raw_actions = parts.remote_actions.get();
      parts.raw_admin = parts.remote_admin.get();
    }
  }
  actions_ = std::make_unique<cache::BlobCheckingActionCache>(parts.raw_actions,
                                                              blobs_);
  parts.served_actions = actions_.get();
  if (parts.local != nullptr) {
    parts.write_once = std::make_unique<cache::WriteOnceActionCache>(
        actions_.get(), parts.local->counters());
    parts.served_actions = parts.write_once.get();
  }
  return absl::OkStatus();
}

absl::Status FarmNode::OpenImages(const FarmNodeOptions& options) {
  Parts& parts = *parts_;
  if (options.image_index) {
    ASSIGN_OR_RETURN(images_, ImageStores::Open(options.image_index(), blobs_));
  } else {
    ASSIGN_OR_RETURN(images_,
                     ImageStores::Open(JoinPath(options.root, "images"), blobs_,
                                       auth::kDefaultTenant));
  }
  ASSIGN_OR_RETURN(std::string owner, CacheOwner(options.root));
  parts.pin_owner = owner;
  cache::CacheAdmin* pins = parts.raw_admin;
  pin_images_ = [pins, owner](absl::flat_hash_set<Digest> digests) {
    absl::Status pinned = pins->SetPins(owner, std::move(digests));
    if (!pinned.ok()) {
      FARM_LOG(WARNING) << "pinning the stored images' blobs in the cache: "
                        << pinned;
    }
  };
  images_->OnImagesChanged(pin_images_);
  parts.admin =
      std::make_unique<ImageKeepingAdmin>(parts.raw_admin, images_.get());
  ASSIGN_OR_RETURN(image::registry::RegistryClientOptions registry_options,
                   image::registry::DefaultRegistryClientOptions(
                       options.insecure_registries));
  forms_ =
      std::make_unique<DistributionForms>(blobs_, actions_.get(), spool_dir_);
  registry_ = std::make_unique<RegistryImages>(
      blobs_, spool_dir_,
      std::make_unique<image::registry::RegistryClient>(
          std::move(registry_options)),
      forms_.get());
  ASSIGN_OR_RETURN(tenant_keys_,
                   TenantKeys::Open(JoinPath(options.root, "tenant-keys")));
  return absl::OkStatus();
}

absl::Status FarmNode::OpenCacheMounts(const FarmNodeOptions& options) {
  if (options.cache_mount_pointers) {
    cache_mount_pointers_ = options.cache_mount_pointers();
  } else {
    ASSIGN_OR_RETURN(
        cache_mount_pointers_,
        FileCacheMountPointers::Open(
            JoinPath(options.root, "cache-mount-pointers"), options.clock));
  }
  // Pinned under a name of their own: SetPins replaces an owner's whole set,
  // and the images' set is made elsewhere.
  cache::CacheAdmin* pins = parts_->raw_admin;
  const std::string owner = absl::StrCat(parts_->pin_owner, " cache-mounts");
  shared_cache_mounts_ = std::make_unique<SharedCacheMounts>(
      core_->cache_mount_grants(), cache_mount_pointers_.get(), blobs_,
      [pins, owner](absl::flat_hash_set<Digest> digests) {
        return pins->SetPins(owner, std::move(digests));
      });
  if (absl::Status pinned = shared_cache_mounts_->PinAll(); !pinned.ok()) {
    FARM_LOG(WARNING) << "pinning the cache mounts' generations: " << pinned;
  }
  return absl::OkStatus();
}

absl::StatusOr<SessionDeps> FarmNode::SessionDepsFor(
    const std::string& tenant) {
  SessionDeps deps;
  deps.blobs = blobs_;
  deps.actions = actions_.get();
  deps.core = core_.get();
  deps.clock = options_.clock;
  deps.spool_dir = spool_dir_;
  deps.client_grace = options_.client_grace;
  deps.max_context_bytes = options_.max_context_bytes;
  deps.build_log_limit = options_.max_build_log_bytes;
  deps.inline_context_limit = options_.inline_context_bytes;
  deps.dashboard_url = options_.dashboard_url;
  deps.tenant = tenant;
  deps.images = images_->ForTenant(tenant);
  deps.resolver =
      std::make_shared<RegistryImageResolver>(deps.images, registry_.get());
  deps.cache_namespace = options_.share_cache_across_tenants ? "" : tenant;
  ASSIGN_OR_RETURN(deps.secrets_key, tenant_keys_->KeyOf(tenant));
  deps.entitlements = options_.entitlements;
  deps.fetch_policy = fetch_policy_.get();
  deps.verifier = verifier_.get();
  deps.distribution = forms_.get();
  deps.journal = options_.journal;
  RegistryImages* registry = registry_.get();
  ImageStore* images = deps.images;
  deps.push = [registry, images](const std::string& tag) {
    return registry->Push(*images, tag).status();
  };
  return deps;
}

absl::StatusOr<int> FarmNode::ResumeBuilds() {
  if (options_.journal == nullptr) return 0;
  return build_service_->ResumeBuilds(*options_.journal);
}

void FarmNode::MakeServices() {
  const auth::Authenticator* auth = options_.authenticator;
  RegistryImages* registry = registry_.get();
  cache::BlobStore* served_blobs = blobs_;
  if (verifier_ != nullptr) {
    ResultVerifier* verifier = verifier_.get();
    upload_watch_ = std::make_unique<LayerUploadWatch>(
        blobs_,
        [verifier](const Digest& digest, const Digest& diff_id, uint64_t size) {
          verifier->LayerSeen(digest, diff_id, size);
        });
    served_blobs = upload_watch_.get();
  }
  services_.push_back(std::make_unique<cache::CacheService>(
      served_blobs, parts_->served_actions, parts_->admin.get(), auth));
  auto images = std::make_unique<ImageService>(
      images_.get(), blobs_, auth, spool_dir_,
      [registry](ImageStore& images, const proto::PullImageRequest& request)
          -> absl::StatusOr<proto::PullImageResponse> {
        ASSIGN_OR_RETURN(
            ImageInfo info,
            registry->Pull(images, request.reference(), request.platform()));
        proto::PullImageResponse response;
        response.set_reference(request.reference());
        response.set_manifest_digest(info.record.manifest_digest);
        response.set_image_id(info.record.config_digest);
        return response;
      },
      [registry](ImageStore& images, const proto::PushImageRequest& request) {
        return registry->Push(images, request.reference());
      },
      forms_.get());
  images->set_in_use(options_.image_in_use);
  services_.push_back(std::move(images));
  services_.push_back(std::make_unique<WorkerService>(core_.get(), auth));
  services_.push_back(
      std::make_unique<CacheMountService>(shared_cache_mounts_.get(), auth));
  auto builds = std::make_unique<BuildService>(
      [this](const std::string& tenant) { return SessionDepsFor(tenant); },
      auth, options_.finished_builds, options_.clock);
  build_service_ = builds.get();
  services_.push_back(std::move(builds));
}

absl::StatusOr<std::unique_ptr<FarmNode>> FarmNode::Open(
    FarmNodeOptions options) {
  std::unique_ptr<FarmNode> node(new FarmNode);
  if (options.authenticator == nullptr) {
    node->open_authenticator_ =
        std::make_unique<auth::Authenticator>(auth::AuthenticatorOptions());
    options.authenticator = node->open_authenticator_.get();
  }
  node->options_ = options;
  node->spool_dir_ = JoinPath(options.root, "spool");
  // The scheduler's state (blobs, images, tenant keys) is no other local
  // user's business; the embedded farm's worker lives under it too.
  RETURN_IF_ERROR(MakeDirs(options.root, 0700));
  RETURN_IF_ERROR(node->OpenCache(options));
  RETURN_IF_ERROR(node->OpenImages(options));
  node->fetch_policy_ =
      std::make_unique<image::FetchPolicy>(options.allowed_fetch_hosts);
  if (options.verify_results) {
    node->verifier_ = std::make_unique<ResultVerifier>(node->blobs_);
  }
  node->core_ = std::make_unique<SchedulerCore>(options.clock, options.jobs,
                                                options.max_slots_per_worker);
  RETURN_IF_ERROR(node->OpenCacheMounts(options));
  RETURN_IF_ERROR(RemoveAll(node->spool_dir_));
  RETURN_IF_ERROR(MakeDirs(node->spool_dir_, 0700));
  node->MakeServices();

  FarmNode* raw = node.get();
  node->ticker_ = std::thread([raw] {
    absl::Time renewed = absl::Now();
    absl::Time pruned = absl::Now();
    const absl::Duration prune_every = raw->options_.prune_untagged_every;
    while (!raw->stopping_.WaitForNotificationWithTimeout(
        absl::Milliseconds(250))) {
      raw->core_->Tick();
      if (absl::Now() - renewed > kPinRenewal) {
        raw->pin_images_(raw->images_->ReferencedBlobs());
        if (absl::Status pinned = raw->shared_cache_mounts_->PinAll();
            !pinned.ok()) {
          FARM_LOG(WARNING) << "renewing the cache mounts' pins: " << pinned;
        }
        renewed = absl::Now();
      }
      if (prune_every > absl::ZeroDuration() &&
          absl::Now() - pruned > prune_every) {
        raw->PruneUntaggedImages();
        pruned = absl::Now();
      }
    }
  });
  return node;
}

void FarmNode::PruneUntaggedImages() {
  for (const std::string& tenant : images_->Tenants()) {
    absl::StatusOr<PruneImagesResult> pruned =
        images_->ForTenant(tenant)->Prune(/*all=*/false,
                                          /*keep_blobs=*/true);
    if (!pruned.ok()) {
      FARM_LOG(WARNING) << "pruning the untagged images of " << tenant << ": "
                        << pruned.status();
    } else if (!pruned->deleted.empty()) {
      FARM_LOG(INFO) << "pruned " << pruned->deleted.size()
                     << " untagged images of " << tenant
                     << "; their blobs are left to the cache's budget";
    }
  }
}

cache::CacheAdmin* FarmNode::embedded_cache() { return parts_->local.get(); }

cache::CacheAdmin* FarmNode::cache_admin() { return parts_->admin.get(); }

std::vector<grpc::Service*> FarmNode::services() {
  std::vector<grpc::Service*> out;
  for (auto& service : services_) out.push_back(service.get());
  return out;
}

}  // namespace farm::scheduler
