// Turns a finished target stage into a stored image: the config and a
// Docker schema 2 manifest (the media types `docker build` gives an image)
// are written to the CAS next to the layers.
#ifndef FARM_SCHEDULER_IMAGE_ASSEMBLER_H_
#define FARM_SCHEDULER_IMAGE_ASSEMBLER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "common/digest.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

struct AssembledImage {
  Digest manifest_digest;
  Digest config_digest;  // the image id
  std::string manifest_json;
};

// `labels` (docker build --label) are set on the config, over the
// Dockerfile's own. kInvalidArgument when the config does not list the
// output's layers.
absl::StatusOr<AssembledImage> AssembleImage(
    const proto::StageOutput& output, cache::BlobStore& blobs,
    const std::map<std::string, std::string>& labels = {});

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_ASSEMBLER_H_
