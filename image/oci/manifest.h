// Image manifest and image index (manifest list), in their OCI and Docker
// schema 2 forms, which share one JSON shape and differ in media types.
#ifndef FARM_IMAGE_OCI_MANIFEST_H_
#define FARM_IMAGE_OCI_MANIFEST_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "image/oci/descriptor.h"

namespace farm::image::oci {

struct Manifest {
  int64_t schema_version = 2;
  // kOciManifest or kDockerManifest. OCI allows it to be absent; it then
  // stays empty and is omitted on output.
  std::string media_type;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  // kInvalidArgument naming the field for malformed input, a wrong
  // schemaVersion or an index media type.
  static absl::StatusOr<Manifest> Parse(absl::string_view json);
  // Canonical bytes; the same value always gives the same bytes.
  std::string ToJson() const;
};

struct Index {
  int64_t schema_version = 2;
  // kOciIndex or kDockerManifestList; may be empty for OCI.
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  static absl::StatusOr<Index> Parse(absl::string_view json);
  std::string ToJson() const;
};

// The mediaType field of a manifest or index document, "" if absent;
// kInvalidArgument if `json` is not an object.
absl::StatusOr<std::string> SniffMediaType(absl::string_view json);

}  // namespace farm::image::oci

#endif  // FARM_IMAGE_OCI_MANIFEST_H_
