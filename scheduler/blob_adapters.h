// Adapters from the cache's BlobStore to the narrow BlobSource / BlobSink
// that image archive import and export use (image/ cannot see cache/).
#ifndef FARM_SCHEDULER_BLOB_ADAPTERS_H_
#define FARM_SCHEDULER_BLOB_ADAPTERS_H_

#include <memory>
#include <string>

#include "cache/blob_store.h"
#include "image/archive/blob_access.h"

namespace farm::scheduler {

class StoreBlobSource : public image::archive::BlobSource {
 public:
  explicit StoreBlobSource(cache::BlobStore* store) : store_(store) {}
  absl::StatusOr<image::archive::OpenedBlob> Open(
      const Digest& digest) override;

 private:
  cache::BlobStore* store_;
};

// The digest of an incoming blob is known only at Commit, while the store
// wants it up front, so a blob is spooled to a file in `spool_dir` (or kept
// in memory when small) and then copied into the store.
class StoreBlobSink : public image::archive::BlobSink {
 public:
  StoreBlobSink(cache::BlobStore* store, std::string spool_dir)
      : store_(store), spool_dir_(std::move(spool_dir)) {}
  absl::StatusOr<std::unique_ptr<image::archive::BlobUpload>> Begin(
      int64_t size) override;

 private:
  cache::BlobStore* store_;
  std::string spool_dir_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_BLOB_ADAPTERS_H_
