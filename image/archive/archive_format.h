// What image archives hold, shared by the exporter and the importer:
// the two formats, an image to export, and an image found by import.
#ifndef FARM_IMAGE_ARCHIVE_ARCHIVE_FORMAT_H_
#define FARM_IMAGE_ARCHIVE_ARCHIVE_FORMAT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "image/oci/config.h"
#include "image/oci/descriptor.h"
#include "image/oci/manifest.h"

namespace farm::image::archive {

enum class ArchiveFormat {
  kDocker,  // `docker save`: manifest.json, repositories, layer tars
  kOci,     // OCI image layout: oci-layout, index.json, blobs/sha256/...
};

// An image to export: its manifest (or index, for OCI) and its names
// ("repo:tag", as the user wrote them).
struct ArchiveImage {
  std::vector<std::string> names;
  oci::Descriptor manifest;
};

// An image found in an archive. Every blob it references has been stored
// in the sink and its digest (and each layer's diffID) verified.
struct ImportedImage {
  std::vector<std::string> names;
  oci::Descriptor manifest;  // the stored manifest blob
  oci::Manifest parsed_manifest;
  oci::ImageConfig config;
  // For an image reached through a nested index: that index's descriptor.
  std::optional<oci::Descriptor> index;
};

struct ImportResult {
  ArchiveFormat format = ArchiveFormat::kDocker;
  std::vector<ImportedImage> images;
};

// "repo[:tag][@digest]" split for tar metadata; no tag gives "latest".
struct RepoTag {
  std::string repository;
  std::string tag;
};
RepoTag SplitRepoTag(absl::string_view reference);

}  // namespace farm::image::archive

#endif  // FARM_IMAGE_ARCHIVE_ARCHIVE_FORMAT_H_
