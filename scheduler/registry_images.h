// RegistryImages: moves images between the farm and OCI registries. A pull
// stores the image's blobs in the shared CAS (skipping what it already
// holds) and records it in the image store, so every worker reads the base
// layers from the CAS and the registry is asked once for the whole fleet.
// A push sends a stored image's blobs and manifest from the CAS.
#ifndef FARM_SCHEDULER_REGISTRY_IMAGES_H_
#define FARM_SCHEDULER_REGISTRY_IMAGES_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "image/registry/registry_client.h"
#include "proto/image.pb.h"
#include "scheduler/distribution_forms.h"
#include "scheduler/image_resolver.h"
#include "scheduler/image_store.h"

namespace farm::scheduler {

class RegistryImages {
 public:
  // Nothing but `client` is owned. With `forms`, plain layers are pushed
  // in their gzip form, as Docker pushes them.
  RegistryImages(cache::BlobStore* blobs, std::string spool_dir,
                 std::unique_ptr<image::registry::RegistryClient> client,
                 DistributionForms* forms = nullptr)
      : blobs_(blobs),
        spool_dir_(std::move(spool_dir)),
        client_(std::move(client)),
        forms_(forms) {}

  // Pulls `reference` for `platform` ("" is linux/amd64) into `images` (a
  // tenant's store) and tags it with the reference. Concurrent pulls of one
  // reference run one at a time, so the second finds the blobs stored.
  absl::StatusOr<ImageInfo> Pull(ImageStore& images,
                                 const std::string& reference,
                                 const std::string& platform);
  // Pushes the image `reference` of `images` to the registry it names. A
  // multi-platform image is pushed as an index: every platform's manifest
  // by digest, then the index at the tag; the response names the index.
  absl::StatusOr<proto::PushImageResponse> Push(ImageStore& images,
                                                const std::string& reference);

 private:
  cache::BlobStore* blobs_;
  std::string spool_dir_;
  std::unique_ptr<image::registry::RegistryClient> client_;
  DistributionForms* forms_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<absl::Mutex>> pulling_
      ABSL_GUARDED_BY(mu_);
};

// Resolves images from the store first and pulls what it lacks; with
// `pull` it always asks the registry whether the tag moved.
class RegistryImageResolver : public ImageResolver {
 public:
  RegistryImageResolver(ImageStore* images, RegistryImages* registry)
      : images_(images), registry_(registry) {}
  absl::StatusOr<proto::ImageContent> Resolve(const std::string& reference,
                                              const std::string& platform,
                                              bool pull) override;

 private:
  ImageStore* images_;
  RegistryImages* registry_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_REGISTRY_IMAGES_H_
