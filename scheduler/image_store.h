// ImageStore: the farm's images. Manifests, configs and layers are blobs in
// the shared CAS; which images exist and what they are tagged lives in an
// ImageIndex. Names are resolved as Docker resolves them: a tag
// ("busybox" is docker.io/library/busybox:latest), an image id or a unique
// prefix of one, or a manifest digest.
#ifndef FARM_SCHEDULER_IMAGE_STORE_H_
#define FARM_SCHEDULER_IMAGE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "image/oci/config.h"
#include "image/oci/manifest.h"
#include "scheduler/image_index.h"

namespace farm::scheduler {

struct ImageInfo {
  ImageRecord record;
  std::vector<std::string> tags;  // normalised
  std::string manifest_json;
  image::oci::Manifest manifest;
  std::string config_json;
  image::oci::ImageConfig config;
};

struct RemoveResult {
  std::vector<std::string> untagged;  // familiar names
  std::vector<std::string> deleted;   // image ids
};

struct PruneImagesResult {
  std::vector<std::string> deleted;  // image ids
  int64_t reclaimed_bytes = 0;
};

// Thread-safe.
class ImageStore {
 public:
  // `blobs` must outlive the store.
  static absl::StatusOr<std::unique_ptr<ImageStore>> Open(
      const std::string& dir, cache::BlobStore* blobs);

  // Records an image whose manifest, config and layers are already in the
  // CAS, and points `tags` at it (moving them from other images). `size` is
  // the uncompressed layer bytes, or -1 to use the compressed sizes.
  // kNotFound if a blob is missing, kInvalidArgument for a bad tag.
  absl::StatusOr<ImageInfo> Add(const Digest& manifest_digest,
                                const std::vector<std::string>& tags,
                                int64_t size = -1);
  // kNotFound "No such image: REF".
  absl::StatusOr<ImageInfo> Get(absl::string_view reference);
  // Newest first; without `all`, images that have no tag are left out.
  absl::StatusOr<std::vector<ImageInfo>> List(bool all);
  absl::Status Tag(absl::string_view source, absl::string_view target);
  // `docker rmi`: a tag is untagged, and an image left with no tag is
  // deleted. An id that several tags share needs `force`.
  absl::StatusOr<RemoveResult> Remove(absl::string_view reference, bool force);
  // Deletes images without tags (and, with `all`, every image), then the
  // blobs no remaining image needs.
  absl::StatusOr<PruneImagesResult> Prune(bool all);
  // Every blob some image needs: what cache eviction must keep.
  absl::flat_hash_set<Digest> ReferencedBlobs();
  // Called with ReferencedBlobs() whenever the set of images changes (and
  // once now), so the cache can pin those blobs.
  void OnImagesChanged(
      std::function<void(absl::flat_hash_set<Digest>)> listener);

 private:
  ImageStore(ImageIndex index, cache::BlobStore* blobs)
      : index_(std::move(index)), blobs_(blobs) {}

  absl::StatusOr<ImageInfo> DoAdd(const Digest& manifest_digest,
                                  const std::vector<std::string>& tags,
                                  int64_t size);
  absl::StatusOr<RemoveResult> DoRemove(absl::string_view reference,
                                        bool force);
  absl::StatusOr<PruneImagesResult> DoPrune(bool all);
  absl::StatusOr<ImageInfo> Load(const ImageRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The manifest digest `reference` names, or kNotFound.
  absl::StatusOr<std::string> Find(absl::string_view reference)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes image records and then blobs that no remaining image needs.
  absl::StatusOr<int64_t> DeleteImages(const std::vector<std::string>& digests)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Tells the listener about the current images; call without mu_ held.
  void NotifyChanged();

  absl::Mutex mu_;
  ImageIndex index_ ABSL_GUARDED_BY(mu_);
  std::function<void(absl::flat_hash_set<Digest>)> listener_
      ABSL_GUARDED_BY(mu_);
  cache::BlobStore* blobs_;
};

// Normalises a user's image name for tagging: "app" →
// "docker.io/library/app:latest". kInvalidArgument for a malformed name or
// one with a digest.
absl::StatusOr<std::string> NormalizeTag(absl::string_view name);
// Docker's short form for display: "app:latest".
std::string FamiliarName(absl::string_view normalized);
// The 12-hex short id `docker images` shows.
std::string ShortId(absl::string_view digest);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_STORE_H_
