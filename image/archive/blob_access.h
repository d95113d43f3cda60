// BlobSource / BlobSink: the narrow blob access that archive import and
// export need. image/ must not depend on cache/, so the image store adapts
// cache::BlobStore to these; DirBlobStore is a plain directory version.
#ifndef FARM_IMAGE_ARCHIVE_BLOB_ACCESS_H_
#define FARM_IMAGE_ARCHIVE_BLOB_ACCESS_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::image::archive {

struct OpenedBlob {
  std::unique_ptr<ByteReader> reader;  // yields exactly `size` bytes
  int64_t size = 0;
};

class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // Opens blob `digest`: kNotFound if it is absent. The reader need not
  // verify the digest; exporters and importers do.
  virtual absl::StatusOr<OpenedBlob> Open(const Digest& digest) = 0;
};

// One blob being stored. Write the bytes (Close() is a no-op), then Commit.
// Destroying it before Commit discards the bytes.
class BlobUpload : public ByteWriter {
 public:
  // Makes the blob visible under `digest`. kDataLoss if the written bytes
  // do not hash to it; nothing becomes visible then.
  virtual absl::Status Commit(const Digest& digest) = 0;
};

class BlobSink {
 public:
  virtual ~BlobSink() = default;
  // Starts a blob of `size` bytes (-1 when not known in advance).
  virtual absl::StatusOr<std::unique_ptr<BlobUpload>> Begin(int64_t size) = 0;
};

// Stores `data` as one blob and returns its digest.
absl::StatusOr<Digest> PutBlob(BlobSink& sink, absl::string_view data);
// Reads a whole (small) blob; kResourceExhausted past `max_bytes`.
absl::StatusOr<std::string> ReadBlob(BlobSource& source, const Digest& digest,
                                     size_t max_bytes = 64 << 20);

}  // namespace farm::image::archive

#endif  // FARM_IMAGE_ARCHIVE_BLOB_ACCESS_H_
