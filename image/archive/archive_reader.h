// ImportArchive: reads a docker-archive (old `<id>/layer.tar` or newer
// `blobs/sha256/` layout) or an OCI image-layout tar as one stream, stores
// every blob the images reference in a BlobSink, verifies each digest and
// each layer's diffID, and returns the images with their names.
#ifndef FARM_IMAGE_ARCHIVE_ARCHIVE_READER_H_
#define FARM_IMAGE_ARCHIVE_ARCHIVE_READER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "common/io.h"
#include "image/archive/archive_format.h"
#include "image/archive/blob_access.h"

namespace farm::image::archive {

struct ImportOptions {
  // Members up to this size are held in memory until the end (metadata,
  // configs, small layers); larger ones stream into the sink at once.
  int64_t small_member_bytes = 1 << 20;
  // Total memory for small members; more is kResourceExhausted.
  int64_t max_memory_bytes = int64_t{256} << 20;
  // Decompress compressed layers while they stream to check their diffIDs.
  bool verify_diff_ids = true;
};

// The format is detected: an oci-layout file means OCI, else manifest.json
// means docker-archive. Errors: kInvalidArgument for an archive that is
// neither or has malformed metadata; kDataLoss for a blob or layer that
// does not match its digest or diffID (naming the member); kNotFound for a
// referenced blob missing from the archive. Blobs stored before an error
// stay in the sink, unreferenced.
absl::StatusOr<ImportResult> ImportArchive(ByteReader* in, BlobSink& sink,
                                           const ImportOptions& options = {});

}  // namespace farm::image::archive

#endif  // FARM_IMAGE_ARCHIVE_ARCHIVE_READER_H_
