// ImageResolver: turns a FROM or COPY --from image reference into the image
// content a stage job carries (manifest digest, config, layers). The image
// store answers first; the registry step adds pulling behind the same
// interface.
#ifndef FARM_SCHEDULER_IMAGE_RESOLVER_H_
#define FARM_SCHEDULER_IMAGE_RESOLVER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "planner/planner.h"
#include "proto/worker.pb.h"
#include "scheduler/image_store.h"

namespace farm::scheduler {

class ImageResolver {
 public:
  virtual ~ImageResolver() = default;
  // kNotFound with a message that says what to do when the image is
  // nowhere. `pull` asks for a fresh look in the registry even if the
  // store has the image.
  virtual absl::StatusOr<proto::ImageContent> Resolve(
      const std::string& reference, const std::string& platform, bool pull) = 0;
};

// Resolves from the image store only.
class StoreImageResolver : public ImageResolver {
 public:
  explicit StoreImageResolver(ImageStore* images) : images_(images) {}
  absl::StatusOr<proto::ImageContent> Resolve(const std::string& reference,
                                              const std::string& platform,
                                              bool pull) override;

 private:
  ImageStore* images_;
};

// The stored image `info` for `platform` ("os/arch[/variant]"; "" is
// linux/amd64): itself, or its image for that platform when it is a
// multi-platform image. kNotFound naming the platforms it has when it has
// none for `platform`; a config without os and architecture passes.
absl::StatusOr<ImageInfo> StoredForPlatform(const ImageInfo& info,
                                            const std::string& reference,
                                            const std::string& platform);

// The image content of a stored image.
absl::StatusOr<proto::ImageContent> ImageContentOf(
    const ImageInfo& info, const std::string& reference);

// Adapts an ImageResolver to the planner, remembering every image it
// resolved for the stage jobs, by planner::ImageMapKey.
class PlanningResolver : public planner::BaseImageResolver {
 public:
  PlanningResolver(ImageResolver* resolver, bool pull,
                   std::string target_platform)
      : resolver_(resolver),
        pull_(pull),
        target_platform_(std::move(target_platform)) {}
  absl::StatusOr<std::optional<planner::BaseImage>> Resolve(
      const std::string& reference, const std::string& platform) override;
  // Resolves an image that is only read (COPY --from, RUN --mount from=).
  absl::Status Add(const std::string& reference, const std::string& platform);
  const std::map<std::string, proto::ImageContent>& images() const {
    return images_;
  }

 private:
  ImageResolver* resolver_;
  bool pull_;
  std::string target_platform_;
  std::map<std::string, proto::ImageContent> images_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_RESOLVER_H_
