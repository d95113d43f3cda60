// ApplyLayer: extracts a layer (plain, gzip or zstd tar, sniffed) into a
// directory without ever touching anything outside it, following the OCI
// image-layer rules for whiteouts. Two modes: kMerge applies the layer on
// top of a rootfs (whiteouts delete lower content); kOverlay unpacks it
// into an empty directory used as an overlayfs lower layer (whiteouts become
// 0/0 character devices, opaque directories get the overlay xattr).
#ifndef FARM_IMAGE_LAYER_LAYER_APPLIER_H_
#define FARM_IMAGE_LAYER_LAYER_APPLIER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::image::layer {

enum class ApplyMode { kMerge, kOverlay };

struct ApplyOptions {
  ApplyMode mode = ApplyMode::kMerge;
  // Header bytes one tar member may take (PAX records included).
  uint64_t max_header_bytes = 1 << 20;
  uint64_t max_entries = 1 << 20;
  // Bytes of uncompressed tar stream; a decompression bomb stops here.
  uint64_t max_bytes = uint64_t{64} << 30;
  // chown entries to their uid/gid (needs CAP_CHOWN).
  bool preserve_owners = true;
  // Create character and block devices (needs CAP_MKNOD); when false they
  // are rejected with kPermissionDenied.
  bool allow_devices = true;
  // kOverlay: mark opaque directories with user.overlay.opaque instead of
  // trusted.overlay.opaque (overlays mounted with `userxattr`).
  bool user_xattr_overlay = false;
};

struct ApplyResult {
  int64_t entries = 0;
  int64_t data_bytes = 0;  // bytes of regular-file data written
  Digest diff_id;          // sha256 of the uncompressed tar stream
};

// Reads the whole of `in` and applies it to the existing directory
// `rootfs`. Entry names are taken relative to `rootfs` (a leading "/" is
// dropped); a name or hardlink target that climbs above it is refused.
// Symlinks in parent paths resolve inside `rootfs`; the final component is
// never followed, and metadata is always set on the entry itself.
// Errors, each naming the member: kInvalidArgument for an unsafe or
// malformed entry (escaping path, bad whiteout name, missing hardlink
// target, parent that is not a directory); kDataLoss for a damaged or
// truncated stream; kResourceExhausted past a cap; kPermissionDenied for a
// refused device node or a failed chown. On error the rootfs holds a
// partial layer and should be discarded.
absl::StatusOr<ApplyResult> ApplyLayer(ByteReader* in,
                                       const std::string& rootfs,
                                       const ApplyOptions& options = {});

}  // namespace farm::image::layer

#endif  // FARM_IMAGE_LAYER_LAYER_APPLIER_H_
