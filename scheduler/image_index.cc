#include "scheduler/image_index.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {

namespace {

// Fills `index` from a parsed document; throws nlohmann's exceptions.
void Read(const nlohmann::json& doc, const std::string& legacy_tenant,
          std::map<std::string, ImageRecord>& images,
          std::map<std::string, ImageIndex::Tags>& tags) {
  // value() returns a copy; keep it alive while iterating.
  const nlohmann::json records = doc.value("images", nlohmann::json::object());
  for (const auto& [digest, value] : records.items()) {
    ImageRecord record;
    record.manifest_digest = digest;
    record.config_digest = value.at("config").get<std::string>();
    record.created = absl::FromUnixNanos(value.value("created_ns", int64_t{0}));
    record.size = value.value("size", int64_t{0});
    if (value.contains("tenants")) {
      for (const auto& tenant : value.at("tenants")) {
        record.tenants.insert(tenant.get<std::string>());
      }
    } else {
      record.tenants.insert(legacy_tenant);
    }
    images[digest] = record;
  }
  const nlohmann::json by_tenant = doc.value("tags", nlohmann::json::object());
  for (const auto& [key, value] : by_tenant.items()) {
    if (value.is_string()) {  // before tenants: tag → digest
      tags[legacy_tenant][key] = value.get<std::string>();
      continue;
    }
    for (const auto& [tag, digest] : value.items()) {
      tags[key][tag] = digest.get<std::string>();
    }
  }
}

}  // namespace

absl::StatusOr<ImageIndex> ImageIndex::Load(const std::string& path,
                                            const std::string& legacy_tenant) {
  ImageIndex index;
  index.path_ = path;
  if (!PathExists(path)) return index;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError(
        absl::StrCat("image index ", path, " is not valid JSON"));
  }
  try {
    Read(doc, legacy_tenant, index.images_, index.tags_);
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("image index ", path, " is malformed: ", e.what()));
  }
  return index;
}

absl::Status ImageIndex::Save() const {
  nlohmann::json images = nlohmann::json::object();
  for (const auto& [digest, record] : images_) {
    images[digest] = {{"config", record.config_digest},
                      {"created_ns", absl::ToUnixNanos(record.created)},
                      {"size", record.size},
                      {"tenants", record.tenants}};
  }
  nlohmann::json tags = nlohmann::json::object();
  for (const auto& [tenant, tenant_tags] : tags_) {
    if (!tenant_tags.empty()) tags[tenant] = tenant_tags;
  }
  nlohmann::json doc = {{"images", images}, {"tags", tags}};
  absl::Status made = MakeDirs(DirName(path_));
  if (!made.ok()) return made;
  return WriteFileAtomic(path_, doc.dump(1) + "\n");
}

std::set<std::string> ImageIndex::tenants() const {
  std::set<std::string> out;
  for (const auto& [tenant, tenant_tags] : tags_) {
    if (!tenant_tags.empty()) out.insert(tenant);
  }
  for (const auto& [digest, record] : images_) {
    out.insert(record.tenants.begin(), record.tenants.end());
  }
  return out;
}

std::vector<std::string> ImageIndex::TagsOf(
    const std::string& tenant, const std::string& manifest_digest) const {
  std::vector<std::string> out;
  auto it = tags_.find(tenant);
  if (it == tags_.end()) return out;
  for (const auto& [tag, digest] : it->second) {
    if (digest == manifest_digest) out.push_back(tag);
  }
  return out;
}

}  // namespace farm::scheduler
