// ImagePuller: resolves a reference to one platform's manifest and config,
// and pulls an image's blobs into a BlobSink, layers in parallel, each
// verified against its digest and retried on transient failures.
#ifndef FARM_IMAGE_REGISTRY_IMAGE_PULLER_H_
#define FARM_IMAGE_REGISTRY_IMAGE_PULLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "image/archive/blob_access.h"
#include "image/oci/config.h"
#include "image/oci/descriptor.h"
#include "image/oci/manifest.h"
#include "image/registry/reference.h"
#include "image/registry/registry_client.h"

namespace farm::image::registry {

struct ResolvedImage {
  Reference reference;  // as asked
  // The platform manifest: media type, digest, size.
  oci::Descriptor descriptor;
  std::string manifest_bytes;
  oci::Manifest manifest;
  // The index the reference named, when it named one.
  std::optional<oci::Descriptor> index;
  std::string config_bytes;
  oci::ImageConfig config;
};

struct PullOptions {
  // The platform to pick from an index; linux/amd64 when unset. When set,
  // a single-platform image must also match it.
  std::optional<oci::Platform> platform;
  // Blobs the sink already holds are not fetched when this says so.
  std::function<bool(const Digest&)> have_blob;
  BlobEventFn on_blob;
};

struct PullResult {
  ResolvedImage image;
  int blobs_fetched = 0;
  int blobs_skipped = 0;
  int64_t bytes_fetched = 0;
};

class ImagePuller {
 public:
  // `client` is not owned and must outlive the puller.
  explicit ImagePuller(RegistryClient* client) : client_(client) {}

  // Fetches the manifest (choosing `platform`, default linux/amd64, from an
  // index) and the config. Errors: kNotFound for a missing repository, tag
  // or platform; kUnauthenticated / kPermissionDenied; kUnavailable when
  // unreachable (after retries); kDataLoss for a digest mismatch;
  // kInvalidArgument for a malformed manifest or config. Messages start
  // with the reference.
  absl::StatusOr<ResolvedImage> Resolve(
      const Reference& ref,
      const std::optional<oci::Platform>& platform = std::nullopt);

  // Resolve, then stores the manifest, config and layers in `sink`.
  absl::StatusOr<PullResult> Pull(const Reference& ref, archive::BlobSink& sink,
                                  const PullOptions& options = {});

  // The descriptor (media type, digest, size) `ref` names now, from a HEAD
  // request: a cheap check whether a tag moved. For an index this is the
  // index itself. Errors as Resolve.
  absl::StatusOr<oci::Descriptor> Head(const Reference& ref);

  // Fetches one blob of `ref`'s repository into `sink`, with retries.
  absl::Status FetchBlob(const Reference& ref, const oci::Descriptor& blob,
                         archive::BlobSink& sink);

 private:
  RegistryClient* client_;
};

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_IMAGE_PULLER_H_
