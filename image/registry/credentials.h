// Registry credentials: the CredentialStore interface, a store backed by a
// config.json in Docker's format ("auths" → {"auth": base64(user:pass)}),
// and the lookup order farm uses: its own store (written by `farm login`),
// then Docker's ~/.docker/config.json.
#ifndef FARM_IMAGE_REGISTRY_CREDENTIALS_H_
#define FARM_IMAGE_REGISTRY_CREDENTIALS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::image::registry {

struct Credential {
  std::string username;
  std::string password;
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The credential for registry domain `domain` ("docker.io",
  // "host:5000"), nullopt if none is stored. Errors: a store that exists but
  // cannot be read or parsed (kInvalidArgument naming the file).
  virtual absl::StatusOr<std::optional<Credential>> Get(
      const std::string& domain) = 0;
  // Stores or replaces the credential for `domain`.
  virtual absl::Status Store(const std::string& domain,
                             const Credential& credential) = 0;
  // Removes it; kNotFound if there was none.
  virtual absl::Status Erase(const std::string& domain) = 0;
};

// A config.json in Docker's format. Reads tolerate the key forms Docker
// writes ("https://index.docker.io/v1/", "http://host/v1/", "host");
// writes keep every other field of the file, use Docker's key for docker.io
// and the bare host otherwise, and go through a 0600 temporary file and
// rename. A missing file is an empty store. Thread-safe.
class ConfigFileCredentialStore : public CredentialStore {
 public:
  explicit ConfigFileCredentialStore(std::string path)
      : path_(std::move(path)) {}

  absl::StatusOr<std::optional<Credential>> Get(
      const std::string& domain) override;
  absl::Status Store(const std::string& domain,
                     const Credential& credential) override;
  absl::Status Erase(const std::string& domain) override;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Looks up each store in turn; writes go to the first one.
class ChainedCredentialStore : public CredentialStore {
 public:
  explicit ChainedCredentialStore(
      std::vector<std::shared_ptr<CredentialStore>> stores)
      : stores_(std::move(stores)) {}

  absl::StatusOr<std::optional<Credential>> Get(
      const std::string& domain) override;
  absl::Status Store(const std::string& domain,
                     const Credential& credential) override;
  absl::Status Erase(const std::string& domain) override;

 private:
  std::vector<std::shared_ptr<CredentialStore>> stores_;
};

// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::string DockerConfigPath();
// farm's own config dir: $FARM_CONFIG, else $XDG_CONFIG_HOME/farm, else
// $HOME/.config/farm. Its config.json holds farm's logins (Docker's format)
// and farm's client settings such as "insecure-registries".
std::string FarmConfigDir();
std::string FarmConfigPath();

// farm's store first (where `farm login` writes), then Docker's (read-only
// in practice: farm never writes it).
std::shared_ptr<CredentialStore> DefaultCredentialStore();

// The key Docker uses in "auths" for `domain`.
std::string CredentialKey(absl::string_view domain);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_CREDENTIALS_H_
