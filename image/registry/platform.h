// Platform selection for multi-platform images: parsing "os/arch[/variant]",
// normalising the aliases that tools write (x86_64, aarch64, armhf), and
// choosing one manifest from an image index the way containerd does.
#ifndef FARM_IMAGE_REGISTRY_PLATFORM_H_
#define FARM_IMAGE_REGISTRY_PLATFORM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "image/oci/descriptor.h"
#include "image/oci/manifest.h"

namespace farm::image::registry {

// linux/amd64, what farm builds and pulls unless told otherwise.
oci::Platform DefaultPlatform();

// "linux/arm64/v8" → {os, architecture, variant}, normalised.
// kInvalidArgument for an empty part or more than three parts.
absl::StatusOr<oci::Platform> ParsePlatform(absl::string_view text);

// "linux/arm64/v8"; the variant only when set.
std::string PlatformString(const oci::Platform& p);

// Canonical names: x86_64→amd64, aarch64→arm64, armhf→arm/v7, armel→arm/v6,
// i386→386; arm64's variant v8 and amd64's v1 are the default and dropped;
// arm without a variant means v7.
oci::Platform NormalizePlatform(const oci::Platform& p);

// Whether an image for `have` runs where `want` is asked: same os and
// architecture, and the same variant after normalisation (any variant when
// `want` has none).
bool PlatformMatches(const oci::Platform& want, const oci::Platform& have);

// The entry of `index` for `want`: an exact variant match first, else the
// first compatible one. kNotFound lists the platforms the index offers.
absl::StatusOr<oci::Descriptor> SelectManifest(const oci::Index& index,
                                               const oci::Platform& want);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_PLATFORM_H_
