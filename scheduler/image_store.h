// ImageStore: one tenant's images. Manifests, configs and layers are blobs
// in the shared CAS; which images exist, which tenants hold them and what
// each tenant tagged them lives in one ImageIndex (kept by an
// ImageIndexStorage) that ImageStores shares between the tenants' stores. A
// tenant sees, resolves and changes only its own images and tags; a blob is
// deleted only when no image of any tenant needs it. Names are resolved as
// Docker resolves them: a tag ("busybox" is docker.io/library/busybox:latest),
// an image id or a unique prefix of one, or a manifest digest.
#ifndef FARM_SCHEDULER_IMAGE_STORE_H_
#define FARM_SCHEDULER_IMAGE_STORE_H_

#include <functional>
#include <map>
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
#include "scheduler/image_index_storage.h"

namespace farm::scheduler {

// One platform's image of a multi-platform image.
struct PlatformManifest {
  std::string platform;  // normalised, "linux/arm64"
  Digest manifest_digest;
  std::string manifest_json;
  image::oci::Manifest manifest;
  std::string config_json;
  image::oci::ImageConfig config;
};

struct ImageInfo {
  ImageRecord record;
  std::string tenant;             // whose view this is
  std::vector<std::string> tags;  // normalised
  // A multi-platform image (its record's manifest digest is an index's):
  // the index and every platform's image, in the index's order; the
  // fields below are then those of its default platform (linux/amd64 if it
  // has it, else the first), so that what needs one image gets one.
  std::string index_json;
  std::vector<PlatformManifest> platforms;
  std::string manifest_json;
  image::oci::Manifest manifest;
  std::string config_json;
  image::oci::ImageConfig config;

  bool is_index() const { return !index_json.empty(); }
};

// `info` as the image of one platform: itself when it is not an index and
// its config's platform matches, else that platform's image of the index.
// kNotFound names the platforms the image has. The single image's record then
// has that platform's digests, layer size (compressed) and creation time.
absl::StatusOr<ImageInfo> ForPlatform(const ImageInfo& info,
                                      absl::string_view platform);

// The platform a multi-platform image shows when none is asked for:
// linux/amd64 if it has it, else its first. "" for a single image.
std::string DefaultPlatformOf(const ImageInfo& info);

// Every blob the image is made of: manifest, config and layers, and for a
// multi-platform image its index and every platform's.
std::vector<Digest> ImageBlobs(const ImageInfo& info);

struct RemoveResult {
  std::vector<std::string> untagged;  // familiar names
  std::vector<std::string> deleted;   // image ids
};

struct PruneImagesResult {
  std::vector<std::string> deleted;  // image ids
  int64_t reclaimed_bytes = 0;
};

// The index and lock that every tenant's ImageStore shares.
struct ImageCatalog;

// Thread-safe.
class ImageStore {
 public:
  // The store of tenant "default" over an index of its own in `dir` (tools
  // and tests; a farm opens ImageStores). `blobs` must outlive the store.
  static absl::StatusOr<std::unique_ptr<ImageStore>> Open(
      const std::string& dir, cache::BlobStore* blobs);
  ~ImageStore();

  const std::string& tenant() const { return tenant_; }

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
  // blobs no remaining image needs. With `keep_blobs`, those blobs are only
  // unpinned and stay in the cache for its budget to evict in LRU order: a
  // build running meanwhile may have found one there and be about to use
  // it (the scheduler's own background prune).
  absl::StatusOr<PruneImagesResult> Prune(bool all, bool keep_blobs = false);
  // Every blob an image of any tenant needs: what cache eviction must keep.
  absl::flat_hash_set<Digest> ReferencedBlobs();
  // Called with ReferencedBlobs() whenever the set of images of any tenant
  // changes (and once now), so the cache can pin those blobs.
  void OnImagesChanged(
      std::function<void(absl::flat_hash_set<Digest>)> listener);

 private:
  friend class ImageStores;
  ImageStore(std::shared_ptr<ImageCatalog> catalog, std::string tenant);

  absl::StatusOr<ImageInfo> DoAdd(const Digest& manifest_digest,
                                  const std::vector<std::string>& tags,
                                  int64_t size);
  // Blobs that images let go of, to delete once the pins no longer hold
  // them.
  using Orphans = absl::flat_hash_set<Digest>;
  absl::StatusOr<RemoveResult> DoRemove(absl::string_view reference, bool force,
                                        Orphans* orphans);
  absl::StatusOr<PruneImagesResult> DoPrune(bool all, Orphans* orphans);
  // Each of these runs with the catalog's lock held.
  absl::StatusOr<ImageInfo> Load(const ImageRecord& record);
  // The manifest digest of this tenant's image `reference` names, or
  // kNotFound.
  absl::StatusOr<std::string> Find(absl::string_view reference);
  // This tenant lets go of the images; those no tenant holds any more are
  // dropped, and their blobs that no remaining image needs are added to
  // `orphans`.
  void Release(const std::vector<std::string>& digests, Orphans* orphans);
  // Deletes the orphans that still belong to no image (an image added
  // meanwhile may need one again) and returns the bytes freed. Called after
  // the pins were updated, so a cache that refuses to delete pinned blobs
  // takes them; a blob another scheduler pins is kept.
  int64_t DeleteOrphans(const Orphans& orphans);

  // Tells the listener about the current images; call without the lock.
  void NotifyChanged();

  std::shared_ptr<ImageCatalog> catalog_;
  const std::string tenant_;
};

// Every tenant's image store over one shared index. Thread-safe.
class ImageStores {
 public:
  // `blobs` must outlive the stores. Images recorded before tenants existed
  // belong to `default_tenant`, the tenant of a farm without identities.
  // The index is the file DIR/images.json (FileImageIndexStorage).
  static absl::StatusOr<std::unique_ptr<ImageStores>> Open(
      const std::string& dir, cache::BlobStore* blobs,
      const std::string& default_tenant);
  // The index is what `storage` loads now (etcd, for schedulers that fail
  // over); every change is saved through it before the call returns.
  static absl::StatusOr<std::unique_ptr<ImageStores>> Open(
      std::unique_ptr<ImageIndexStorage> storage, cache::BlobStore* blobs);
  ~ImageStores();

  // The store of `tenant`, made on first use and owned by this object.
  ImageStore* ForTenant(const std::string& tenant);
  // Every tenant that holds an image or a tag, sorted.
  std::vector<std::string> Tenants();
  // As ImageStore's (they see every tenant).
  absl::flat_hash_set<Digest> ReferencedBlobs();
  void OnImagesChanged(
      std::function<void(absl::flat_hash_set<Digest>)> listener);

 private:
  explicit ImageStores(std::shared_ptr<ImageCatalog> catalog);

  std::shared_ptr<ImageCatalog> catalog_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<ImageStore>> stores_
      ABSL_GUARDED_BY(mu_);
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
