// Media types of the OCI image spec and of Docker's schema 2, in one place so
// every reader and writer of manifests agrees on the exact strings.
#ifndef FARM_IMAGE_OCI_MEDIA_TYPES_H_
#define FARM_IMAGE_OCI_MEDIA_TYPES_H_

#include "absl/strings/string_view.h"

namespace farm::image::oci {

// OCI image spec v1.
inline constexpr absl::string_view kOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kOciIndex =
    "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kOciConfig =
    "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kOciLayerTar =
    "application/vnd.oci.image.layer.v1.tar";
inline constexpr absl::string_view kOciLayerTarGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr absl::string_view kOciLayerTarZstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr absl::string_view kOciLayoutFile = "oci-layout";
inline constexpr absl::string_view kOciLayoutVersion = "1.0.0";

// Docker image manifest v2 schema 2.
inline constexpr absl::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr absl::string_view kDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr absl::string_view kDockerLayerTarGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr absl::string_view kDockerLayerTar =
    "application/vnd.docker.image.rootfs.diff.tar";
// Layers that registries must fetch from `urls` (Windows base layers).
inline constexpr absl::string_view kDockerForeignLayerTarGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// Annotation keys used by image layouts.
inline constexpr absl::string_view kAnnotationRefName =
    "org.opencontainers.image.ref.name";
inline constexpr absl::string_view kAnnotationContainerdImageName =
    "io.containerd.image.name";

inline bool IsManifestType(absl::string_view t) {
  return t == kOciManifest || t == kDockerManifest;
}
inline bool IsIndexType(absl::string_view t) {
  return t == kOciIndex || t == kDockerManifestList;
}

// How a layer blob is compressed, as its media type says.
enum class LayerCompression { kNone, kGzip, kZstd, kUnknown };

inline LayerCompression LayerCompressionOf(absl::string_view media_type) {
  if (media_type == kOciLayerTar || media_type == kDockerLayerTar) {
    return LayerCompression::kNone;
  }
  if (media_type == kOciLayerTarGzip || media_type == kDockerLayerTarGzip ||
      media_type == kDockerForeignLayerTarGzip) {
    return LayerCompression::kGzip;
  }
  if (media_type == kOciLayerTarZstd) return LayerCompression::kZstd;
  return LayerCompression::kUnknown;
}

}  // namespace farm::image::oci

#endif  // FARM_IMAGE_OCI_MEDIA_TYPES_H_
