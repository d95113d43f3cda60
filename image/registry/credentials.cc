#include "image/registry/credentials.h"

#include <cstdlib>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/registry/credential_helper.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kDockerHubKey = "https://index.docker.io/v1/";

std::mutex& FileMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

// "https://index.docker.io/v1/" → "docker.io"; "http://h:5000/x" → "h:5000".
std::string HostOfKey(absl::string_view key) {
  absl::ConsumePrefix(&key, "https://") || absl::ConsumePrefix(&key, "http://");
  key = key.substr(0, key.find('/'));
  if (key == "index.docker.io" || key == "registry-1.docker.io") {
    return "docker.io";
  }
  return std::string(key);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

absl::StatusOr<Json> LoadConfig(const std::string& path) {
  if (!PathExists(path)) return Json::object();
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object; fix or remove the file"));
  }
  return j;
}

absl::StatusOr<Credential> DecodeEntry(const std::string& path,
                                       const std::string& key,
                                       const Json& entry) {
  Credential c;
  if (entry.contains("auth") && entry["auth"].is_string() &&
      !entry["auth"].get<std::string>().empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(entry["auth"].get<std::string>(), &decoded) ||
        decoded.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": auths[\"", key, "\"].auth is not base64 of user:password"));
    }
    size_t colon = decoded.find(':');
    c.username = decoded.substr(0, colon);
    c.password = decoded.substr(colon + 1);
    return c;
  }
  if (entry.contains("username") && entry["username"].is_string()) {
    c.username = entry["username"].get<std::string>();
    if (entry.contains("password") && entry["password"].is_string()) {
      c.password = entry["password"].get<std::string>();
    }
    return c;
  }
  return absl::NotFoundError("no inline credential");
}

}  // namespace

std::string CredentialKey(absl::string_view domain) {
  if (HostOfKey(domain) == "docker.io") return std::string(kDockerHubKey);
  return std::string(domain);
}

absl::StatusOr<std::optional<Credential>> ConfigFileCredentialStore::Get(
    const std::string& domain) {
  Json config;
  {
    std::lock_guard<std::mutex> lock(FileMutex());
    ASSIGN_OR_RETURN(config, LoadConfig(path_));
  }
  const std::string want = HostOfKey(domain);
  if (config.contains("auths") && config["auths"].is_object()) {
    for (const auto& [key, entry] : config["auths"].items()) {
      if (HostOfKey(key) != want || !entry.is_object()) continue;
      absl::StatusOr<Credential> c = DecodeEntry(path_, key, entry);
      if (c.ok()) return std::optional<Credential>(*c);
      if (!absl::IsNotFound(c.status())) return c.status();
    }
  }
  // As Docker: without an inline credential, the registry's own helper,
  // else the default one.
  std::string helper;
  if (config.contains("credHelpers") && config["credHelpers"].is_object()) {
    for (const auto& [key, name] : config["credHelpers"].items()) {
      if (HostOfKey(key) == want && name.is_string()) {
        helper = name.get<std::string>();
      }
    }
  }
  if (helper.empty() && config.contains("credsStore") &&
      config["credsStore"].is_string()) {
    helper = config["credsStore"].get<std::string>();
  }
  if (helper.empty()) return std::nullopt;
  absl::StatusOr<std::optional<Credential>> found =
      RunCredentialHelper(helper, CredentialKey(want));
  if (!found.ok()) {
    return Annotate(found.status(),
                    absl::StrCat("credential helper of ", path_));
  }
  return found;
}

absl::Status ConfigFileCredentialStore::Store(const std::string& domain,
                                              const Credential& credential) {
  std::lock_guard<std::mutex> lock(FileMutex());
  ASSIGN_OR_RETURN(Json config, LoadConfig(path_));
  if (!config.contains("auths") || !config["auths"].is_object()) {
    config["auths"] = Json::object();
  }
  Json& auths = config["auths"];
  std::string want = HostOfKey(domain);
  for (auto it = auths.begin(); it != auths.end();) {
    it = HostOfKey(it.key()) == want ? auths.erase(it) : std::next(it);
  }
  auths[CredentialKey(domain)] = {
      {"auth", absl::Base64Escape(absl::StrCat(credential.username, ":",
                                               credential.password))}};
  RETURN_IF_ERROR(MakeDirs(DirName(path_), 0700));
  return WriteFileAtomic(path_, config.dump(1, '\t') + "\n", 0600);
}

absl::Status ConfigFileCredentialStore::Erase(const std::string& domain) {
  std::lock_guard<std::mutex> lock(FileMutex());
  ASSIGN_OR_RETURN(Json config, LoadConfig(path_));
  bool erased = false;
  if (config.contains("auths") && config["auths"].is_object()) {
    Json& auths = config["auths"];
    std::string want = HostOfKey(domain);
    for (auto it = auths.begin(); it != auths.end();) {
      if (HostOfKey(it.key()) == want) {
        it = auths.erase(it);
        erased = true;
      } else {
        ++it;
      }
    }
  }
  if (!erased) {
    return absl::NotFoundError(
        absl::StrCat("not logged in to ", domain, " (", path_, ")"));
  }
  return WriteFileAtomic(path_, config.dump(1, '\t') + "\n", 0600);
}

absl::StatusOr<std::optional<Credential>> ChainedCredentialStore::Get(
    const std::string& domain) {
  for (const auto& store : stores_) {
    ASSIGN_OR_RETURN(std::optional<Credential> c, store->Get(domain));
    if (c) return c;
  }
  return std::nullopt;
}

absl::Status ChainedCredentialStore::Store(const std::string& domain,
                                           const Credential& credential) {
  if (stores_.empty()) return absl::FailedPreconditionError("no store");
  return stores_.front()->Store(domain, credential);
}

absl::Status ChainedCredentialStore::Erase(const std::string& domain) {
  if (stores_.empty()) return absl::FailedPreconditionError("no store");
  return stores_.front()->Erase(domain);
}

std::string DockerConfigPath() {
  std::string dir = Env("DOCKER_CONFIG");
  if (dir.empty()) dir = JoinPath(Env("HOME"), ".docker");
  return JoinPath(dir, "config.json");
}

std::string FarmConfigDir() {
  std::string dir = Env("FARM_CONFIG");
  if (!dir.empty()) return dir;
  std::string xdg = Env("XDG_CONFIG_HOME");
  if (!xdg.empty()) return JoinPath(xdg, "farm");
  return JoinPath(Env("HOME"), ".config/farm");
}

std::string FarmConfigPath() {
  return JoinPath(FarmConfigDir(), "config.json");
}

std::shared_ptr<CredentialStore> DefaultCredentialStore() {
  return std::make_shared<ChainedCredentialStore>(
      std::vector<std::shared_ptr<CredentialStore>>{
          std::make_shared<ConfigFileCredentialStore>(FarmConfigPath()),
          std::make_shared<ConfigFileCredentialStore>(DockerConfigPath())});
}

}  // namespace farm::image::registry
