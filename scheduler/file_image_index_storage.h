// FileImageIndexStorage: the image index as one JSON file, rewritten
// atomically on each Save, so a crash leaves the old or the new index. What
// a single scheduler keeps under --root.
#ifndef FARM_SCHEDULER_FILE_IMAGE_INDEX_STORAGE_H_
#define FARM_SCHEDULER_FILE_IMAGE_INDEX_STORAGE_H_

#include <string>

#include "scheduler/image_index_storage.h"

namespace farm::scheduler {

class FileImageIndexStorage : public ImageIndexStorage {
 public:
  // Records and tags of an index written before tenants existed belong to
  // `legacy_tenant`.
  FileImageIndexStorage(std::string path, std::string legacy_tenant)
      : path_(std::move(path)), legacy_tenant_(std::move(legacy_tenant)) {}

  // A missing file is an empty index.
  absl::StatusOr<ImageIndex> Load() override;
  // Creates the file's directory if needed.
  absl::Status Save(const ImageIndex& index) override;

 private:
  const std::string path_;
  const std::string legacy_tenant_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_FILE_IMAGE_INDEX_STORAGE_H_
