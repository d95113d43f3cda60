// WriteLayer: turns a directory (normally an overlayfs upper dir) into a
// deterministic, compressed layer blob, computing the blob digest and the
// diffID in the same pass. overlayfs whiteouts (0/0 character devices) and
// opaque directories become the OCI `.wh.` entries.
//
// The upper dir must come from an overlay mounted without metacopy and
// redirect_dir, whose upper files then hold complete data.
#ifndef FARM_IMAGE_LAYER_LAYER_WRITER_H_
#define FARM_IMAGE_LAYER_LAYER_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "common/io.h"
#include "image/compress/compression.h"

namespace farm::image::layer {

struct LayerWriterOptions {
  compress::Compression compression = compress::Compression::kGzip;
  compress::CompressOptions compress;
  // When set, mtimes later than this (seconds since the epoch) are clamped
  // to it, as SOURCE_DATE_EPOCH asks.
  std::optional<int64_t> source_date_epoch;
};

struct LayerInfo {
  std::string media_type;  // OCI layer media type for the compression
  Digest digest;           // of the blob as written to `out`
  int64_t size = 0;        // blob bytes
  Digest diff_id;          // of the uncompressed tar
  int64_t tar_size = 0;
  int64_t entries = 0;
};

// Reads `dir` and writes the layer to `out` (not closed). Entries are in
// depth-first order, each directory's names sorted bytewise, parents before
// children; owners are numeric, atime/ctime are dropped, mtimes are whole
// seconds; hardlinks within `dir` are kept; sockets are skipped. Errors:
// kNotFound if `dir` does not exist, errno-mapped codes for unreadable
// files, kAborted if a file changes size while it is read.
absl::StatusOr<LayerInfo> WriteLayer(const std::string& dir, ByteWriter* out,
                                     const LayerWriterOptions& options = {});

// SOURCE_DATE_EPOCH from the environment, if set to a valid integer.
std::optional<int64_t> SourceDateEpochFromEnv();

}  // namespace farm::image::layer

#endif  // FARM_IMAGE_LAYER_LAYER_WRITER_H_
