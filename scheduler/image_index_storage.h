// ImageIndexStorage: where the image index is kept. A file under the
// scheduler's root serves one scheduler; etcd lets schedulers that fail over
// share every image and tag (EtcdImageIndexStorage).
#ifndef FARM_SCHEDULER_IMAGE_INDEX_STORAGE_H_
#define FARM_SCHEDULER_IMAGE_INDEX_STORAGE_H_

#include "absl/status/statusor.h"
#include "scheduler/image_index.h"

namespace farm::scheduler {

// Not thread-safe: ImageStores calls it under its lock.
class ImageIndexStorage {
 public:
  virtual ~ImageIndexStorage() = default;

  // The stored index; an empty one when none is stored yet. kDataLoss for
  // a stored index that does not parse; other codes from the medium.
  virtual absl::StatusOr<ImageIndex> Load() = 0;

  // Makes `index` the stored one. After an error the stored index is the
  // old one, the new one or between the two, but no stored tag names a
  // missing image; the next Save that succeeds stores `index` whole.
  virtual absl::Status Save(const ImageIndex& index) = 0;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_INDEX_STORAGE_H_
