// ImagePusher: pushes an image (or an index of images) from a BlobSource:
// the blobs first, in parallel, skipping those the repository has and
// mounting those known to be in another repository of the registry; the
// manifest last, so the tag never points at an incomplete image.
#ifndef FARM_IMAGE_REGISTRY_IMAGE_PUSHER_H_
#define FARM_IMAGE_REGISTRY_IMAGE_PUSHER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "image/archive/blob_access.h"
#include "image/registry/reference.h"
#include "image/registry/registry_client.h"

namespace farm::image::registry {

struct PushOptions {
  // Repositories known to hold a blob ("host:5000/base" or any reference
  // form); those on the target registry are tried as mount sources.
  std::map<Digest, std::vector<std::string>> known_locations;
  BlobEventFn on_blob;
};

struct PushResult {
  Digest digest;  // of the pushed manifest (or index)
  int blobs_uploaded = 0;
  int blobs_mounted = 0;
  int blobs_existing = 0;
  int64_t bytes_uploaded = 0;
};

class ImagePusher {
 public:
  // `client` is not owned and must outlive the pusher.
  explicit ImagePusher(RegistryClient* client) : client_(client) {}

  // Pushes the manifest `manifest_bytes` of type `media_type` (an image
  // manifest, or an index whose manifests `blobs` also holds) to `ref`'s
  // tag, or to its digest when it has no tag. Foreign layers are not
  // pushed. Errors: kInvalidArgument for an unparsable manifest or a `ref`
  // digest that is not the manifest's; kNotFound when `blobs` lacks a blob;
  // the registry's errors (kUnauthenticated, kPermissionDenied, ...) and
  // kUnavailable after retries. Messages start with the reference.
  absl::StatusOr<PushResult> Push(const Reference& ref,
                                  const std::string& manifest_bytes,
                                  const std::string& media_type,
                                  archive::BlobSource& blobs,
                                  const PushOptions& options = {});

 private:
  RegistryClient* client_;
};

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_IMAGE_PUSHER_H_
