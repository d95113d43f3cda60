// Descriptor and Platform: the typed pointers by which manifests, indexes and
// image layouts refer to blobs (OCI image spec, descriptor.md).
#ifndef FARM_IMAGE_OCI_DESCRIPTOR_H_
#define FARM_IMAGE_OCI_DESCRIPTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "image/oci/json_fields.h"

namespace farm::image::oci {

struct Platform {
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;

  friend bool operator==(const Platform& a, const Platform& b) {
    return a.architecture == b.architecture && a.os == b.os &&
           a.os_version == b.os_version && a.os_features == b.os_features &&
           a.variant == b.variant;
  }
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;
  // Base64 of embedded content, kept verbatim.
  std::string data;

  friend bool operator==(const Descriptor& a, const Descriptor& b) {
    return a.media_type == b.media_type && a.digest == b.digest &&
           a.size == b.size && a.urls == b.urls &&
           a.annotations == b.annotations && a.platform == b.platform &&
           a.artifact_type == b.artifact_type && a.data == b.data;
  }
};

// Reads a descriptor from `r`: mediaType, digest and size are required.
void ReadDescriptor(FieldReader& r, Descriptor* out);
Json DescriptorToJson(const Descriptor& d);
void ReadPlatform(FieldReader& r, Platform* out);
Json PlatformToJson(const Platform& p);

}  // namespace farm::image::oci

#endif  // FARM_IMAGE_OCI_DESCRIPTOR_H_
