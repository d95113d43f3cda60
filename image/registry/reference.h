// Reference: an image name as Docker's distribution/reference package
// normalises it ("busybox" is docker.io/library/busybox:latest), so farm
// resolves every name to the same registry, repository and tag that Docker
// would.
#ifndef FARM_IMAGE_REGISTRY_REFERENCE_H_
#define FARM_IMAGE_REGISTRY_REFERENCE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/digest.h"

namespace farm::image::registry {

inline constexpr absl::string_view kDockerHubDomain = "docker.io";
// The host that serves docker.io's registry API.
inline constexpr absl::string_view kDockerHubRegistryHost =
    "registry-1.docker.io";

class Reference {
 public:
  // Parses and normalises `text`: a domain is the first '/'-separated
  // component when it holds '.' or ':' or is "localhost" (or has an
  // uppercase letter); otherwise the domain is docker.io, where a one-part
  // path gains "library/". "index.docker.io" becomes docker.io. With neither
  // tag nor digest the tag is "latest". kInvalidArgument, quoting `text`,
  // for anything distribution/reference rejects (uppercase repository,
  // bad tag, malformed or non-sha256 digest, a 64-hex name, name over 255).
  static absl::StatusOr<Reference> Parse(absl::string_view text);
  // Like Parse, but a repository name only: no tag, no digest, no default.
  static absl::StatusOr<Reference> ParseRepository(absl::string_view text);

  const std::string& domain() const { return domain_; }  // "docker.io"
  const std::string& path() const { return path_; }      // "library/busybox"
  const std::string& tag() const { return tag_; }        // "" if none
  const std::optional<Digest>& digest() const { return digest_; }

  // "docker.io/library/busybox"
  std::string Name() const;
  // The fully qualified form: "docker.io/library/busybox:latest@sha256:..".
  std::string String() const;
  // Docker's short display form: "busybox:latest", "user/app:1",
  // "host:5000/x:tag"; digests are kept.
  std::string Familiar() const;
  // The host:port to contact: docker.io maps to registry-1.docker.io.
  std::string RegistryHost() const;
  // What to put after /manifests/: the digest if there is one, else the tag.
  std::string ManifestId() const;

  Reference WithTag(std::string tag) const;
  Reference WithDigest(const Digest& digest) const;
  // The same repository with neither tag nor digest.
  Reference Repository() const;

  friend bool operator==(const Reference& a, const Reference& b) {
    return a.domain_ == b.domain_ && a.path_ == b.path_ && a.tag_ == b.tag_ &&
           a.digest_ == b.digest_;
  }

 private:
  static absl::StatusOr<Reference> ParseAny(absl::string_view text,
                                            bool repository_only);

  std::string domain_;
  std::string path_;
  std::string tag_;
  std::optional<Digest> digest_;
};

// The registry host for a domain as written in a reference.
std::string RegistryHostFor(absl::string_view domain);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_REFERENCE_H_
