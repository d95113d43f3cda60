// DistributionForms: the gzip form of farm's layers, made when an image
// leaves the farm.
//
// Workers write the layers they build as plain tars, so a layer's digest is
// its diff_id (the build form): one sha256 per layer and no compression on
// the build's critical path, and nothing for the scheduler to inflate when
// it checks an upload. A registry gets gzip layers, as `docker push` sends
// them, and so does an OCI layout. Of() makes each layer's gzip blob the
// first time it is needed, stores it in the CAS, and remembers the mapping
// diff_id → gzip blob in the action cache, so later pushes of any image
// holding the layer reuse it. The gzip bytes depend only on the tar (fixed
// level and chunk size, whatever the thread count), so every farm pushes the
// same manifest for the same image.
#ifndef FARM_SCHEDULER_DISTRIBUTION_FORMS_H_
#define FARM_SCHEDULER_DISTRIBUTION_FORMS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "common/digest.h"
#include "image/oci/manifest.h"

namespace farm::scheduler {

struct DistributionForm {
  std::string manifest_json;
  std::string media_type;  // the manifest's
  Digest digest;           // of manifest_json
};

// Where the image goes. A registry gets the image's own media types (Docker
// schema 2 for what farm builds, as `docker push`); an OCI layout gets OCI
// media types throughout, as BuildKit's OCI exporter writes them.
enum class Destination { kRegistry, kOciLayout };

// Thread-safe if the stores are. Two callers that need the same layer at
// once may both compress it; they store the same bytes.
class DistributionForms {
 public:
  // Nothing is owned. Temporary gzip files go to `spool_dir`.
  DistributionForms(cache::BlobStore* blobs, cache::ActionCache* actions,
                    std::string spool_dir)
      : blobs_(blobs), actions_(actions), spool_dir_(std::move(spool_dir)) {}

  // `manifest` (parsed from `manifest_json`) with each plain layer replaced
  // by its gzip form, in the media types `to` wants; the new manifest is
  // stored in the CAS too. A manifest with nothing to change comes back as
  // it is. Errors: kNotFound for a layer the CAS lacks, kDataLoss for a
  // plain layer whose bytes are not its digest, the stores' and the file
  // system's errors.
  absl::StatusOr<DistributionForm> Of(const image::oci::Manifest& manifest,
                                      const std::string& manifest_json,
                                      Destination to = Destination::kRegistry);

  // The distribution form of the image index `index_json`: each child
  // manifest (read from the CAS) in its Of() form, and a new index over the
  // forms that keeps every entry's platform, annotations and order. A
  // registry gets a Docker manifest list when every child form is a Docker
  // schema 2 manifest, else an OCI index; an OCI layout gets an OCI index
  // of OCI manifests. The children and the new index are stored in the CAS,
  // where pushes and saves read them. The same index always gives the same
  // bytes; an index with nothing to change comes back as it is. Errors: as
  // Of(), kNotFound for a child manifest the CAS lacks, kInvalidArgument for
  // an entry that is not an image manifest.
  absl::StatusOr<DistributionForm> OfIndex(
      const std::string& index_json, Destination to = Destination::kRegistry);

  // The action-cache key under which the gzip form of the plain layer
  // `diff_id` is remembered.
  static Digest GzipFormKey(const Digest& diff_id);

 private:
  // The gzip form of the plain layer `layer`: its digest and size.
  absl::StatusOr<image::oci::Descriptor> Gzipped(
      const image::oci::Descriptor& layer);
  absl::StatusOr<image::oci::Descriptor> Compress(
      const image::oci::Descriptor& layer);

  cache::BlobStore* blobs_;
  cache::ActionCache* actions_;
  std::string spool_dir_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_DISTRIBUTION_FORMS_H_
