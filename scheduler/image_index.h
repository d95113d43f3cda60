// ImageIndex: the image store's own records, which images exist (by
// manifest digest), which tenants hold each one, and each tenant's tags,
// kept in one JSON file that is rewritten atomically, so a crash leaves the
// old or the new index. One index serves every tenant, so that blob
// deletion always sees every image that still needs a blob.
#ifndef FARM_SCHEDULER_IMAGE_INDEX_H_
#define FARM_SCHEDULER_IMAGE_INDEX_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

  // Loads `path` if it exists; records and tags of an index written before
  // tenants existed belong to `legacy_tenant`. kDataLoss for an unreadable
  // index.
  static absl::StatusOr<ImageIndex> Load(const std::string& path,
                                         const std::string& legacy_tenant);
  absl::Status Save() const;

  std::map<std::string, ImageRecord>& images() { return images_; }
  const std::map<std::string, ImageRecord>& images() const { return images_; }
  // The tags of `tenant` (created empty on first use).
  Tags& tags(const std::string& tenant) { return tags_[tenant]; }
  // Every tenant that has tags or holds an image.
  std::set<std::string> tenants() const;

  // Tags of `tenant` pointing at `manifest_digest`, sorted.
  std::vector<std::string> TagsOf(const std::string& tenant,
                                  const std::string& manifest_digest) const;

 private:
  std::string path_;
  std::map<std::string, ImageRecord> images_;
  std::map<std::string, Tags> tags_;  // by tenant
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_INDEX_H_
