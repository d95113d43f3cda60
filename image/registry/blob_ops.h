// The blob endpoints of the distribution API: HEAD to see whether a blob is
// there, GET into a BlobSink with the digest and size checked on the way,
// and the push protocol (cross-repository mount, monolithic or chunked
// upload). Each call is one attempt; callers retry.
#ifndef FARM_IMAGE_REGISTRY_BLOB_OPS_H_
#define FARM_IMAGE_REGISTRY_BLOB_OPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "image/archive/blob_access.h"
#include "image/oci/descriptor.h"
#include "image/registry/reference.h"
#include "image/registry/registry_session.h"

namespace farm::image::registry {

struct UploadOptions {
  // Blobs up to this size go up in one PUT; larger ones in PATCH chunks.
  int64_t monolithic_limit = int64_t{64} << 20;
  int64_t chunk_size = int64_t{64} << 20;
  // How many mount sources to try per blob.
  int max_mount_attempts = 3;
};

enum class BlobOutcome { kExisted, kMounted, kUploaded };

// HEAD /v2/<path>/blobs/<digest>: whether the repository has the blob.
// `pushing` asks for the push token scope, which a push needs anyway.
absl::StatusOr<bool> BlobExists(RegistrySession& session, const Reference& ref,
                                const Digest& digest, bool pushing = false);

// GET the blob (following redirects to storage) into `sink` and commit it.
// Errors: kNotFound (BLOB_UNKNOWN), kDataLoss when the bytes do not match
// blob.size or blob.digest (nothing is committed then), the sink's errors.
absl::Status FetchBlob(RegistrySession& session, const Reference& ref,
                       const oci::Descriptor& blob, archive::BlobSink& sink);

// Pushes `blob` from `source` unless the repository has it: first a mount
// from each of `mount_from` (repository paths on the same registry), else
// an upload, monolithic or chunked by size. Errors: kNotFound if `source`
// lacks it, kDataLoss if its size differs from blob.size or the registry
// computes another digest, and the registry's errors.
absl::StatusOr<BlobOutcome> PushBlob(RegistrySession& session,
                                     const Reference& ref,
                                     const oci::Descriptor& blob,
                                     archive::BlobSource& source,
                                     const std::vector<std::string>& mount_from,
                                     const UploadOptions& options);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_BLOB_OPS_H_
