// Turns a finished target stage into a stored image: the config and a
// Docker schema 2 manifest (the media types `docker build` gives an image)
// are written to the CAS next to the layers. A build for several platforms
// gets one image per platform and an index over them.
#ifndef FARM_SCHEDULER_IMAGE_ASSEMBLER_H_
#define FARM_SCHEDULER_IMAGE_ASSEMBLER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "common/digest.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

struct AssembledImage {
  Digest manifest_digest;
  Digest config_digest;  // the image id
  std::string manifest_json;
  std::string media_type;  // the manifest's
};

// `labels` (docker build --label) are set on the config, over the
// Dockerfile's own. kInvalidArgument when the config does not list the
// output's layers.
absl::StatusOr<AssembledImage> AssembleImage(
    const proto::StageOutput& output, cache::BlobStore& blobs,
    const std::map<std::string, std::string>& labels = {});

struct PlatformImage {
  std::string platform;  // "linux/arm/v7"
  AssembledImage image;
};
struct AssembledIndex {
  Digest digest;
  std::string json;
};

// An index over one image per platform, in the order given, written to the
// CAS: a Docker manifest list when every manifest is Docker schema 2 (as
// `docker buildx` pushes them), else an OCI image index.
absl::StatusOr<AssembledIndex> AssembleIndex(
    const std::vector<PlatformImage>& images, cache::BlobStore& blobs);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_ASSEMBLER_H_
