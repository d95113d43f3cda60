#include "image/oci/descriptor.h"

namespace farm::image::oci {

void ReadPlatform(FieldReader& r, Platform* out) {
  r.String("architecture", &out->architecture, /*required=*/true);
  r.String("os", &out->os, /*required=*/true);
  r.String("os.version", &out->os_version);
  r.StringList("os.features", &out->os_features);
  r.String("variant", &out->variant);
}

Json PlatformToJson(const Platform& p) {
  Json j = Json::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  PutString(j, "os.version", p.os_version);
  PutStringList(j, "os.features", p.os_features);
  PutString(j, "variant", p.variant);
  return j;
}

void ReadDescriptor(FieldReader& r, Descriptor* out) {
  r.String("mediaType", &out->media_type, /*required=*/true);
  r.DigestField("digest", &out->digest, /*required=*/true);
  r.Int("size", &out->size, /*required=*/true);
  if (r.status().ok() && out->size < 0) r.Fail("size", "must not be negative");
  r.StringList("urls", &out->urls);
  r.StringMap("annotations", &out->annotations);
  r.Object("platform", [&](FieldReader& p) {
    out->platform.emplace();
    ReadPlatform(p, &*out->platform);
  });
  r.String("artifactType", &out->artifact_type);
  r.String("data", &out->data);
}

Json DescriptorToJson(const Descriptor& d) {
  Json j = Json::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.ToString();
  j["size"] = d.size;
  PutStringList(j, "urls", d.urls);
  PutStringMap(j, "annotations", d.annotations);
  if (d.platform.has_value()) j["platform"] = PlatformToJson(*d.platform);
  PutString(j, "artifactType", d.artifact_type);
  PutString(j, "data", d.data);
  return j;
}

}  // namespace farm::image::oci
