// The OCI image-layer whiteout names (image-spec layer.md, "Whiteouts"), and
// the overlayfs forms they take in an upper or snapshot directory.
#ifndef FARM_IMAGE_LAYER_WHITEOUT_H_
#define FARM_IMAGE_LAYER_WHITEOUT_H_

#include "absl/strings/string_view.h"

namespace farm::image::layer {

inline constexpr absl::string_view kWhiteoutPrefix = ".wh.";
// Prefix reserved for metadata files; only the opaque marker is defined.
inline constexpr absl::string_view kWhiteoutMetaPrefix = ".wh..wh.";
inline constexpr absl::string_view kOpaqueWhiteout = ".wh..wh..opq";

// xattrs that mark an overlayfs directory as opaque (value "y"): the first
// in root-mounted overlays, the second with the `userxattr` mount option.
inline constexpr const char* kTrustedOpaqueXattr = "trusted.overlay.opaque";
inline constexpr const char* kUserOpaqueXattr = "user.overlay.opaque";

// The only xattr a layer records, as BuildKit and containerd do.
inline constexpr const char* kCapabilityXattr = "security.capability";

}  // namespace farm::image::layer

#endif  // FARM_IMAGE_LAYER_WHITEOUT_H_
