#include "image/registry/manifest_ops.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

constexpr size_t kMaxManifestBytes = 4 << 20;  // distribution's own limit
constexpr size_t kTagsShown = 10;

std::string ManifestPath(const Reference& ref, const std::string& id) {
  return absl::StrCat("/v2/", ref.path(), "/manifests/", id);
}

bool IsSchema1(absl::string_view media_type) {
  return absl::StartsWith(media_type,
                          "application/vnd.docker.distribution.manifest.v1");
}

// The media type of a fetched document: Content-Type when it names a
// manifest type, else the document's own mediaType, else its shape.
absl::StatusOr<std::string> MediaTypeFor(const HttpResponse& resp,
                                         const std::string& what) {
  std::string type = MediaTypeOf(resp.headers.Get("Content-Type"));
  if (oci::IsManifestType(type) || oci::IsIndexType(type) || IsSchema1(type)) {
    return type;
  }
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the registry sent a manifest that is not JSON"));
  }
  if (j.contains("mediaType") && j["mediaType"].is_string()) {
    return j["mediaType"].get<std::string>();
  }
  if (j.contains("schemaVersion") && j["schemaVersion"] == 1) {
    return std::string("application/vnd.docker.distribution.manifest.v1+json");
  }
  return std::string(j.contains("manifests") ? oci::kOciIndex
                                             : oci::kOciManifest);
}

// Explains a 404 for a tag: is the repository there at all?
absl::Status MissingManifest(RegistrySession& session, const Reference& ref,
                             const std::string& id, const HttpResponse& resp) {
  std::string what =
      absl::StrCat("manifest ", ref.Repository().String(),
                   absl::StartsWith(id, "sha256:") ? "@" : ":", id);
  std::string hint = absl::StartsWith(id, "sha256:")
                         ? "check the digest"
                         : "check that the tag exists";
  HttpRequest tags;
  tags.url = absl::StrCat("/v2/", ref.path(), "/tags/list");
  absl::StatusOr<HttpResponse> listing =
      session.Send(tags, {RepositoryScope(ref.path(), false)});
  if (listing.ok() && listing->status == 404) {
    return ResponseError(
        *listing,
        session.Context(absl::StrCat("repository ", ref.Repository().String()),
                        "check the repository name"));
  }
  if (listing.ok() && listing->status == 200) {
    nlohmann::json j = nlohmann::json::parse(listing->body, nullptr, false);
    std::vector<std::string> names;
    if (j.is_object() && j.contains("tags") && j["tags"].is_array()) {
      for (const auto& t : j["tags"]) {
        if (t.is_string() && names.size() < kTagsShown) {
          names.push_back(t.get<std::string>());
        }
      }
    }
    absl::StrAppend(
        &hint,
        names.empty()
            ? " (the repository has no tags)"
            : absl::StrCat(" (tags there: ", absl::StrJoin(names, ", "), ")"));
  }
  return ResponseError(resp, session.Context(what, hint));
}

HttpRequest ManifestRequest(const char* method, const Reference& ref,
                            const std::string& id) {
  HttpRequest req;
  req.method = method;
  req.url = ManifestPath(ref, id);
  req.headers.Add("Accept", ManifestAcceptHeader());
  req.max_body_bytes = kMaxManifestBytes;
  return req;
}

}  // namespace

std::string ManifestAcceptHeader() {
  return absl::StrJoin({oci::kOciManifest, oci::kOciIndex, oci::kDockerManifest,
                        oci::kDockerManifestList},
                       ", ");
}

absl::StatusOr<FetchedManifest> FetchManifest(RegistrySession& session,
                                              const Reference& ref,
                                              const std::string& id) {
  std::string what =
      absl::StrCat("fetching manifest ", ref.Repository().String(), " ", id);
  ASSIGN_OR_RETURN(HttpResponse resp,
                   session.Send(ManifestRequest("GET", ref, id),
                                {RepositoryScope(ref.path(), false)}));
  if (resp.status == 404) return MissingManifest(session, ref, id, resp);
  if (resp.status != 200) return ResponseError(resp, session.Context(what));

  FetchedManifest m;
  m.digest = Digest::Of(resp.body);
  if (absl::StartsWith(id, "sha256:") && m.digest.ToString() != id) {
    return absl::DataLossError(absl::StrCat(
        what, ": the registry sent bytes that hash to ", m.digest.ToString(),
        "; the registry's storage may be corrupt"));
  }
  std::string reported = resp.headers.Get("Docker-Content-Digest");
  if (!reported.empty() && reported != m.digest.ToString()) {
    return absl::DataLossError(
        absl::StrCat(what, ": the registry says the digest is ", reported,
                     " but the bytes hash to ", m.digest.ToString()));
  }
  ASSIGN_OR_RETURN(m.media_type, MediaTypeFor(resp, what));
  if (IsSchema1(m.media_type)) {
    return absl::FailedPreconditionError(absl::StrCat(
        what,
        ": it is a Docker schema 1 manifest, which farm does not "
        "read; push the image again with a current Docker or farm"));
  }
  m.bytes = std::move(resp.body);
  return m;
}

absl::StatusOr<oci::Descriptor> HeadManifest(RegistrySession& session,
                                             const Reference& ref,
                                             const std::string& id) {
  std::string what =
      absl::StrCat("checking manifest ", ref.Repository().String(), " ", id);
  ASSIGN_OR_RETURN(HttpResponse resp,
                   session.Send(ManifestRequest("HEAD", ref, id),
                                {RepositoryScope(ref.path(), false)}));
  if (resp.status == 404) return MissingManifest(session, ref, id, resp);
  if (resp.status != 200) return ResponseError(resp, session.Context(what));
  oci::Descriptor d;
  d.media_type = MediaTypeOf(resp.headers.Get("Content-Type"));
  absl::StatusOr<Digest> digest =
      Digest::Parse(resp.headers.Get("Docker-Content-Digest"));
  if (!digest.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": the registry sent no usable Docker-Content-Digest"));
  }
  if (absl::StartsWith(id, "sha256:") && digest->ToString() != id) {
    return absl::DataLossError(
        absl::StrCat(what, ": the registry reports ", digest->ToString()));
  }
  d.digest = *digest;
  if (!absl::SimpleAtoi(resp.headers.Get("Content-Length"), &d.size)) {
    d.size = -1;
  }
  return d;
}

absl::Status PutManifest(RegistrySession& session, const Reference& ref,
                         const std::string& id, const std::string& media_type,
                         const std::string& bytes) {
  std::string what =
      absl::StrCat("pushing manifest ", ref.Repository().String(), " ", id);
  HttpRequest req;
  req.method = "PUT";
  req.url = ManifestPath(ref, id);
  req.headers.Add("Content-Type", media_type);
  req.body = bytes;
  ASSIGN_OR_RETURN(
      HttpResponse resp,
      session.Send(std::move(req), {RepositoryScope(ref.path(), true)}));
  if (resp.status != 201 && resp.status != 200) {
    return ResponseError(resp, session.Context(what));
  }
  std::string reported = resp.headers.Get("Docker-Content-Digest");
  std::string ours = Digest::Of(bytes).ToString();
  if (!reported.empty() && reported != ours) {
    return absl::DataLossError(absl::StrCat(
        what, ": the registry stored it as ", reported, ", not ", ours));
  }
  return absl::OkStatus();
}

}  // namespace farm::image::registry
