#include "client/farm_logins.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace farm::client {

namespace {

absl::StatusOr<nlohmann::json> ReadConfig(const std::string& path) {
  if (!PathExists(path)) return nlohmann::json::object();
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError(absl::StrCat(path, " is not a JSON object"));
  }
  return doc;
}

absl::Status WriteConfig(const std::string& path, const nlohmann::json& doc) {
  RETURN_IF_ERROR(MakeDirs(DirName(path), 0700));
  return WriteFileAtomic(path, doc.dump(1, '\t') + "\n", 0600);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> StoredFarmToken(
    const std::string& config_path, const std::string& remote) {
  ASSIGN_OR_RETURN(nlohmann::json doc, ReadConfig(config_path));
  auto farms = doc.find("farms");
  if (farms == doc.end() || !farms->is_object()) return std::nullopt;
  auto entry = farms->find(remote);
  if (entry == farms->end() || !entry->is_object()) return std::nullopt;
  auto token = entry->find("token");
  if (token == entry->end() || !token->is_string()) return std::nullopt;
  return token->get<std::string>();
}

absl::Status StoreFarmToken(const std::string& config_path,
                            const std::string& remote,
                            const std::string& token) {
  ASSIGN_OR_RETURN(nlohmann::json doc, ReadConfig(config_path));
  if (!doc["farms"].is_object()) doc["farms"] = nlohmann::json::object();
  doc["farms"][remote] = {{"token", token}};
  return WriteConfig(config_path, doc);
}

absl::StatusOr<bool> RemoveFarmToken(const std::string& config_path,
                                     const std::string& remote) {
  ASSIGN_OR_RETURN(nlohmann::json doc, ReadConfig(config_path));
  auto farms = doc.find("farms");
  if (farms == doc.end() || !farms->is_object() || !farms->contains(remote)) {
    return false;
  }
  farms->erase(remote);
  RETURN_IF_ERROR(WriteConfig(config_path, doc));
  return true;
}

}  // namespace farm::client
