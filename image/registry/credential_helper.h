// Docker's credential helper protocol: `docker-credential-<name> get` reads
// a registry's server URL on stdin and prints
// {"ServerURL": ..., "Username": ..., "Secret": ...}. config.json names
// helpers per registry ("credHelpers") or for all ("credsStore").
#ifndef FARM_IMAGE_REGISTRY_CREDENTIAL_HELPER_H_
#define FARM_IMAGE_REGISTRY_CREDENTIAL_HELPER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "image/registry/credentials.h"

namespace farm::image::registry {

// Asks helper `name` for `server_url`'s credential. nullopt when the helper
// has none ("credentials not found"), is not installed, or answers with an
// identity token (which farm cannot use; logged). Errors: the helper failed
// otherwise or printed no JSON (kUnavailable, with its output), or took
// longer than 30 s (kDeadlineExceeded).
absl::StatusOr<std::optional<Credential>> RunCredentialHelper(
    const std::string& name, const std::string& server_url);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_CREDENTIAL_HELPER_H_
