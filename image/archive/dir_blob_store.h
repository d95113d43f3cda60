// DirBlobStore: blobs as files under <dir>/blobs/sha256/<hex> (the OCI
// image-layout shape), written through a temporary file and renamed once
// verified. For tools, tests and anything that needs blobs on disk.
#ifndef FARM_IMAGE_ARCHIVE_DIR_BLOB_STORE_H_
#define FARM_IMAGE_ARCHIVE_DIR_BLOB_STORE_H_

#include <string>

#include "image/archive/blob_access.h"

namespace farm::image::archive {

class DirBlobStore : public BlobSource, public BlobSink {
 public:
  // Creates the directories if needed.
  static absl::StatusOr<std::unique_ptr<DirBlobStore>> Open(
      const std::string& dir);

  absl::StatusOr<OpenedBlob> Open(const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobUpload>> Begin(int64_t size) override;

  std::string PathOf(const Digest& digest) const;

 private:
  explicit DirBlobStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace farm::image::archive

#endif  // FARM_IMAGE_ARCHIVE_DIR_BLOB_STORE_H_
