#include "image/oci/manifest.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/media_types.h"

namespace farm::image::oci {
namespace {

void ReadCommon(FieldReader& r, int64_t* schema_version,
                std::string* media_type, std::string* artifact_type,
                std::optional<Descriptor>* subject,
                std::map<std::string, std::string>* annotations) {
  r.Int("schemaVersion", schema_version, /*required=*/true);
  if (r.status().ok() && *schema_version != 2) {
    r.Fail("schemaVersion", absl::StrCat("want 2, got ", *schema_version));
  }
  r.String("mediaType", media_type);
  r.String("artifactType", artifact_type);
  r.Object("subject", [&](FieldReader& s) {
    subject->emplace();
    ReadDescriptor(s, &**subject);
  });
  r.StringMap("annotations", annotations);
}

Json WriteCommon(int64_t schema_version, const std::string& media_type,
                 const std::string& artifact_type) {
  Json j = Json::object();
  j["schemaVersion"] = schema_version;
  PutString(j, "mediaType", media_type);
  PutString(j, "artifactType", artifact_type);
  return j;
}

Json DescriptorList(const std::vector<Descriptor>& list) {
  Json a = Json::array();
  for (const Descriptor& d : list) a.push_back(DescriptorToJson(d));
  return a;
}

}  // namespace

absl::StatusOr<Manifest> Manifest::Parse(absl::string_view json) {
  ASSIGN_OR_RETURN(Json j, ParseJsonObject(json, "image manifest"));
  Manifest m;
  FieldReader r(j, "image manifest");
  ReadCommon(r, &m.schema_version, &m.media_type, &m.artifact_type, &m.subject,
             &m.annotations);
  if (r.status().ok() && IsIndexType(m.media_type)) {
    r.Fail("mediaType",
           absl::StrCat("\"", m.media_type, "\" is an index, not a manifest"));
  }
  r.Object(
      "config", [&](FieldReader& c) { ReadDescriptor(c, &m.config); },
      /*required=*/true);
  r.ObjectList("layers", [&](FieldReader& l) {
    m.layers.emplace_back();
    ReadDescriptor(l, &m.layers.back());
  });
  RETURN_IF_ERROR(r.status());
  return m;
}

std::string Manifest::ToJson() const {
  Json j = WriteCommon(schema_version, media_type, artifact_type);
  j["config"] = DescriptorToJson(config);
  j["layers"] = DescriptorList(layers);
  if (subject.has_value()) j["subject"] = DescriptorToJson(*subject);
  PutStringMap(j, "annotations", annotations);
  return CanonicalJson(j);
}

absl::StatusOr<Index> Index::Parse(absl::string_view json) {
  ASSIGN_OR_RETURN(Json j, ParseJsonObject(json, "image index"));
  Index x;
  FieldReader r(j, "image index");
  ReadCommon(r, &x.schema_version, &x.media_type, &x.artifact_type, &x.subject,
             &x.annotations);
  if (r.status().ok() && IsManifestType(x.media_type)) {
    r.Fail("mediaType",
           absl::StrCat("\"", x.media_type, "\" is a manifest, not an index"));
  }
  r.ObjectList(
      "manifests",
      [&](FieldReader& m) {
        x.manifests.emplace_back();
        ReadDescriptor(m, &x.manifests.back());
      },
      /*required=*/true);
  RETURN_IF_ERROR(r.status());
  return x;
}

std::string Index::ToJson() const {
  Json j = WriteCommon(schema_version, media_type, artifact_type);
  j["manifests"] = DescriptorList(manifests);
  if (subject.has_value()) j["subject"] = DescriptorToJson(*subject);
  PutStringMap(j, "annotations", annotations);
  return CanonicalJson(j);
}

absl::StatusOr<std::string> SniffMediaType(absl::string_view json) {
  ASSIGN_OR_RETURN(Json j, ParseJsonObject(json, "manifest"));
  std::string media_type;
  FieldReader r(j, "manifest");
  r.String("mediaType", &media_type);
  RETURN_IF_ERROR(r.status());
  return media_type;
}

}  // namespace farm::image::oci
