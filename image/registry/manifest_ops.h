// The manifest endpoints of the distribution API: GET and HEAD with the
// Accept list of every manifest and index type farm reads, and PUT. Every
// manifest read is checked against the digest asked for and the one the
// registry reports, since a manifest digest pins a whole image.
#ifndef FARM_IMAGE_REGISTRY_MANIFEST_OPS_H_
#define FARM_IMAGE_REGISTRY_MANIFEST_OPS_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "image/oci/descriptor.h"
#include "image/registry/reference.h"
#include "image/registry/registry_session.h"

namespace farm::image::registry {

// OCI manifest and index, Docker schema 2 manifest and manifest list.
std::string ManifestAcceptHeader();

struct FetchedManifest {
  std::string media_type;
  std::string bytes;
  Digest digest;
};

// GET /v2/<path>/manifests/<id> (id: a tag or "sha256:..."). The media type
// comes from Content-Type or the document. Errors: kNotFound telling a
// missing repository (NAME_UNKNOWN) from a missing tag (MANIFEST_UNKNOWN,
// with the tags there are), kDataLoss when the bytes do not hash to `id`
// or to Docker-Content-Digest, kFailedPrecondition for schema 1.
absl::StatusOr<FetchedManifest> FetchManifest(RegistrySession& session,
                                              const Reference& ref,
                                              const std::string& id);

// HEAD: the descriptor (media type, digest, size) without the body; the
// digest comes from Docker-Content-Digest, so kFailedPrecondition when the
// registry sends none. Errors as FetchManifest.
absl::StatusOr<oci::Descriptor> HeadManifest(RegistrySession& session,
                                             const Reference& ref,
                                             const std::string& id);

// PUT /v2/<path>/manifests/<id> with Content-Type `media_type`; kDataLoss
// if the registry reports another digest than the bytes have.
absl::Status PutManifest(RegistrySession& session, const Reference& ref,
                         const std::string& id, const std::string& media_type,
                         const std::string& bytes);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_MANIFEST_OPS_H_
