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
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "scheduler/service/build_service.h"
#include "scheduler/service/image_service.h"
#include "scheduler/service/worker_service.h"

namespace farm::scheduler {

namespace {

// The cache admin the node serves: pruning never removes what images
// still need.
class ImageKeepingAdmin : public cache::CacheAdmin {
 public:
  ImageKeepingAdmin(cache::CacheAdmin* inner, ImageStore* images)
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

 private:
  cache::CacheAdmin* inner_;
  ImageStore* images_;
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
  cache::ActionCache* raw_actions = nullptr;
  cache::CacheAdmin* raw_admin = nullptr;
  std::unique_ptr<ImageKeepingAdmin> admin;
};

FarmNode::FarmNode() : parts_(new Parts) {}

FarmNode::~FarmNode() {
  stopping_.Notify();
  if (ticker_.joinable()) ticker_.join();
  services_.clear();  // sessions end before the stores they use
}

absl::StatusOr<std::unique_ptr<FarmNode>> FarmNode::Open(
    const FarmNodeOptions& options) {
  std::unique_ptr<FarmNode> node(new FarmNode);
  Parts& parts = *node->parts_;
  RETURN_IF_ERROR(MakeDirs(options.root, 0711));
  if (options.cache_address.empty()) {
    cache::RocksDbCache::Options cache_options;
    cache_options.root = JoinPath(options.root, "cache");
    cache_options.max_bytes = options.cache_max_bytes;
    cache_options.clock = options.clock;
    ASSIGN_OR_RETURN(parts.local, cache::RocksDbCache::Open(cache_options));
    node->blobs_ = parts.local->blobs();
    parts.raw_actions = parts.local->actions();
    parts.raw_admin = parts.local.get();
  } else {
    std::shared_ptr<grpc::Channel> channel =
        cache::DialCache(options.cache_address);
    parts.remote_blobs = std::make_unique<cache::RemoteBlobStore>(channel);
    parts.remote_actions = std::make_unique<cache::RemoteActionCache>(channel);
    parts.remote_admin = std::make_unique<cache::RemoteCacheAdmin>(channel);
    node->blobs_ = parts.remote_blobs.get();
    parts.raw_actions = parts.remote_actions.get();
    parts.raw_admin = parts.remote_admin.get();
  }
  node->actions_ = std::make_unique<cache::BlobCheckingActionCache>(
      parts.raw_actions, node->blobs_);
  ASSIGN_OR_RETURN(
      node->images_,
      ImageStore::Open(JoinPath(options.root, "images"), node->blobs_));
  ASSIGN_OR_RETURN(std::string owner, CacheOwner(options.root));
  cache::CacheAdmin* pins = parts.raw_admin;
  node->pin_images_ = [pins, owner](absl::flat_hash_set<Digest> digests) {
    absl::Status pinned = pins->SetPins(owner, std::move(digests));
    if (!pinned.ok()) {
      FARM_LOG(WARNING) << "pinning the stored images' blobs in the cache: "
                        << pinned;
    }
  };
  node->images_->OnImagesChanged(node->pin_images_);
  parts.admin =
      std::make_unique<ImageKeepingAdmin>(parts.raw_admin, node->images_.get());
  ASSIGN_OR_RETURN(image::registry::RegistryClientOptions registry_options,
                   image::registry::DefaultRegistryClientOptions(
                       options.insecure_registries));
  std::string spool_dir = JoinPath(options.root, "spool");
  node->registry_ = std::make_unique<RegistryImages>(
      node->images_.get(), node->blobs_, spool_dir,
      std::make_unique<image::registry::RegistryClient>(
          std::move(registry_options)));
  node->resolver_ = std::make_unique<RegistryImageResolver>(
      node->images_.get(), node->registry_.get());
  node->core_ = std::make_unique<SchedulerCore>(options.clock, options.jobs);

  SessionDeps deps;
  deps.blobs = node->blobs_;
  deps.actions = node->actions_.get();
  deps.images = node->images_.get();
  deps.resolver = node->resolver_.get();
  deps.core = node->core_.get();
  deps.clock = options.clock;
  deps.spool_dir = spool_dir;
  RegistryImages* registry = node->registry_.get();
  deps.push = [registry](const std::string& tag) {
    return registry->Push(tag).status();
  };
  deps.client_grace = options.client_grace;
  RETURN_IF_ERROR(RemoveAll(deps.spool_dir));
  RETURN_IF_ERROR(MakeDirs(deps.spool_dir, 0700));

  node->services_.push_back(std::make_unique<cache::CacheService>(
      node->blobs_, node->actions_.get(), parts.admin.get()));
  node->services_.push_back(std::make_unique<ImageService>(
      node->images_.get(), node->blobs_, deps.spool_dir,
      [registry](const proto::PullImageRequest& request)
          -> absl::StatusOr<proto::PullImageResponse> {
        ASSIGN_OR_RETURN(ImageInfo info, registry->Pull(request.reference(),
                                                        request.platform()));
        proto::PullImageResponse response;
        response.set_reference(request.reference());
        response.set_manifest_digest(info.record.manifest_digest);
        response.set_image_id(info.record.config_digest);
        return response;
      },
      [registry](const proto::PushImageRequest& request) {
        return registry->Push(request.reference());
      }));
  node->services_.push_back(std::make_unique<WorkerService>(node->core_.get()));
  node->services_.push_back(std::make_unique<BuildService>(deps));

  FarmNode* raw = node.get();
  node->ticker_ = std::thread([raw] {
    absl::Time renewed = absl::Now();
    while (!raw->stopping_.WaitForNotificationWithTimeout(
        absl::Milliseconds(250))) {
      raw->core_->Tick();
      if (absl::Now() - renewed > kPinRenewal) {
        raw->pin_images_(raw->images_->ReferencedBlobs());
        renewed = absl::Now();
      }
    }
  });
  return node;
}

std::vector<grpc::Service*> FarmNode::services() {
  std::vector<grpc::Service*> out;
  for (auto& service : services_) out.push_back(service.get());
  return out;
}

}  // namespace farm::scheduler
