// ExportArchive: writes images as a docker-archive (`docker save` layout
// with blobs/sha256/ paths, layers uncompressed as Docker expects) or as an
// OCI image-layout tar. The output is deterministic: same images, same
// bytes. Every blob is verified against its digest while it is copied.
#ifndef FARM_IMAGE_ARCHIVE_ARCHIVE_WRITER_H_
#define FARM_IMAGE_ARCHIVE_ARCHIVE_WRITER_H_

#include <vector>

#include "absl/status/status.h"
#include "common/io.h"
#include "image/archive/archive_format.h"
#include "image/archive/blob_access.h"

namespace farm::image::archive {

// Reads the images' blobs from `blobs` and writes the archive to `out`
// (not closed). Errors: kNotFound for a missing blob, kDataLoss for a blob
// or layer that does not match its digest or diffID, kInvalidArgument for
// an index given to the docker format (it holds one platform per image).
absl::Status ExportArchive(ArchiveFormat format,
                           const std::vector<ArchiveImage>& images,
                           BlobSource& blobs, ByteWriter* out);

}  // namespace farm::image::archive

#endif  // FARM_IMAGE_ARCHIVE_ARCHIVE_WRITER_H_
