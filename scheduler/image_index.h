// ImageIndex: the image store's own records, which images exist (by
// manifest digest), which tenants hold each one, and each tenant's tags.
// One index serves every tenant, so that blob deletion always sees every
// image that still needs a blob. ImageIndexStorage keeps it (a file, etcd).
#ifndef FARM_SCHEDULER_IMAGE_INDEX_H_
#define FARM_SCHEDULER_IMAGE_INDEX_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace farm::scheduler {

struct ImageRecord {
  std::string manifest_digest;
  std::string config_digest;  // the image id
  absl::Time created;         // from the config, or when it was added
  int64_t size = 0;           // uncompressed bytes of its layers
  // The tenants that hold the image (built, loaded, pulled or tagged it).
  std::set<std::string> tenants;
};

// Not thread-safe; ImageStore serialises access.
class ImageIndex {
 public:
  // Normalised tag → manifest digest, for one tenant.
  using Tags = std::map<std::string, std::string>;

  // The whole index as one JSON document (FileImageIndexStorage's format).
  // Records and tags of a document written before tenants existed belong
  // to `legacy_tenant`. kDataLoss for a document that does not parse.
  static absl::StatusOr<ImageIndex> FromJson(absl::string_view json,
                                             const std::string& legacy_tenant);
  std::string ToJson() const;

  std::map<std::string, ImageRecord>& images() { return images_; }
  const std::map<std::string, ImageRecord>& images() const { return images_; }
  // The tags of `tenant` (created empty on first use).
  Tags& tags(const std::string& tenant) { return tags_[tenant]; }
  // Every tenant's tags; some may be empty.
  const std::map<std::string, Tags>& all_tags() const { return tags_; }
  // Every tenant that has tags or holds an image.
  std::set<std::string> tenants() const;

  // Tags of `tenant` pointing at `manifest_digest`, sorted.
  std::vector<std::string> TagsOf(const std::string& tenant,
                                  const std::string& manifest_digest) const;

 private:
  std::map<std::string, ImageRecord> images_;
  std::map<std::string, Tags> tags_;  // by tenant
};

// One record as JSON, as the index document holds it under its manifest
// digest; stores that keep records one by one (etcd) use the same form.
std::string ImageRecordJson(const ImageRecord& record);
// The inverse, for the image `manifest_digest`. A record without tenants
// belongs to `legacy_tenant` (to none if it is empty). kDataLoss if
// malformed.
absl::StatusOr<ImageRecord> ParseImageRecordJson(
    const std::string& manifest_digest, absl::string_view json,
    const std::string& legacy_tenant);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_INDEX_H_
