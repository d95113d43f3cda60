// `farm build --secret`: where each secret's value comes from, read on the
// client and sent with the build request, never written to the context,
// an image or a log.
#ifndef FARM_CLIENT_BUILD_SECRETS_H_
#define FARM_CLIENT_BUILD_SECRETS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::client::build {

// One --secret flag: `id=ID[,src=FILE|source=FILE][,env=VAR][,type=file|env]`,
// read as docker buildx reads it. With neither src nor env, the value is
// the environment variable named ID when set, else the file named ID.
struct SecretSource {
  std::string id;
  std::string file;
  std::string env;
};

// kInvalidArgument naming the flag: bad CSV, an unknown key or type, no id.
absl::StatusOr<SecretSource> ParseSecretFlag(absl::string_view text);

// BuildKit refuses larger secrets.
inline constexpr size_t kMaxSecretBytes = 500 * 1024;

// Looks a variable up; nullopt when unset. A seam for tests.
using EnvLookup =
    std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// The values by id (a later flag for the same id wins). Errors name the
// secret: kNotFound for an unset variable, the file's read error, and
// kInvalidArgument past kMaxSecretBytes.
absl::StatusOr<std::map<std::string, std::string>> ReadSecrets(
    const std::vector<SecretSource>& sources, const EnvLookup& env);

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_SECRETS_H_
