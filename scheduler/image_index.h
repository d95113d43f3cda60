// ImageIndex: the image store's own records, which images exist (by
// manifest digest) and which tags point at them, kept in one JSON file that
// is rewritten atomically, so a crash leaves the old or the new index.
#ifndef FARM_SCHEDULER_IMAGE_INDEX_H_
#define FARM_SCHEDULER_IMAGE_INDEX_H_

#include <map>
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
};

// Not thread-safe; ImageStore serialises access.
class ImageIndex {
 public:
  // Loads `path` if it exists. kDataLoss for an unreadable index.
  static absl::StatusOr<ImageIndex> Load(const std::string& path);
  absl::Status Save() const;

  std::map<std::string, ImageRecord>& images() { return images_; }
  const std::map<std::string, ImageRecord>& images() const { return images_; }
  // Normalised tag → manifest digest.
  std::map<std::string, std::string>& tags() { return tags_; }
  const std::map<std::string, std::string>& tags() const { return tags_; }

  // Tags pointing at `manifest_digest`, sorted.
  std::vector<std::string> TagsOf(const std::string& manifest_digest) const;

 private:
  std::string path_;
  std::map<std::string, ImageRecord> images_;
  std::map<std::string, std::string> tags_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_INDEX_H_
