#include "scheduler/image_index.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {

namespace {

nlohmann::json RecordToJson(const ImageRecord& record) {
  return {{"config", record.config_digest},
          {"created_ns", absl::ToUnixNanos(record.created)},
          {"size", record.size},
          {"tenants", record.tenants}};
}

// Throws nlohmann's exceptions.
ImageRecord RecordFromJson(const std::string& digest,
                           const nlohmann::json& value,
                           const std::string& legacy_tenant) {
  ImageRecord record;
  record.manifest_digest = digest;
  record.config_digest = value.at("config").get<std::string>();
  record.created = absl::FromUnixNanos(value.value("created_ns", int64_t{0}));
  record.size = value.value("size", int64_t{0});
  if (value.contains("tenants")) {
    for (const auto& tenant : value.at("tenants")) {
      record.tenants.insert(tenant.get<std::string>());
    }
  } else if (!legacy_tenant.empty()) {
    record.tenants.insert(legacy_tenant);
  }
  return record;
}

// Fills `index` from a parsed document; throws nlohmann's exceptions.
void Read(const nlohmann::json& doc, const std::string& legacy_tenant,
          ImageIndex& index) {
  // value() returns a copy; keep it alive while iterating.
  const nlohmann::json records = doc.value("images", nlohmann::json::object());
  for (const auto& [digest, value] : records.items()) {
    index.images()[digest] = RecordFromJson(digest, value, legacy_tenant);
  }
  const nlohmann::json by_tenant = doc.value("tags", nlohmann::json::object());
  for (const auto& [key, value] : by_tenant.items()) {
    if (value.is_string()) {  // before tenants: tag → digest
      index.tags(legacy_tenant)[key] = value.get<std::string>();
      continue;
    }
    for (const auto& [tag, digest] : value.items()) {
      index.tags(key)[tag] = digest.get<std::string>();
    }
  }
}

nlohmann::json ParseObject(absl::string_view json) {
  nlohmann::json doc =
      nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  return doc.is_object() ? doc : nlohmann::json();
}

}  // namespace

absl::StatusOr<ImageIndex> ImageIndex::FromJson(
    absl::string_view json, const std::string& legacy_tenant) {
  const nlohmann::json doc = ParseObject(json);
  if (doc.is_null()) return absl::DataLossError("not a JSON object");
  ImageIndex index;
  try {
    Read(doc, legacy_tenant, index);
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed: ", e.what()));
  }
  return index;
}

std::string ImageIndex::ToJson() const {
  nlohmann::json images = nlohmann::json::object();
  for (const auto& [digest, record] : images_) {
    images[digest] = RecordToJson(record);
  }
  nlohmann::json tags = nlohmann::json::object();
  for (const auto& [tenant, tenant_tags] : tags_) {
    if (!tenant_tags.empty()) tags[tenant] = tenant_tags;
  }
  nlohmann::json doc = {{"images", images}, {"tags", tags}};
  return doc.dump(1) + "\n";
}

std::string ImageRecordJson(const ImageRecord& record) {
  return RecordToJson(record).dump();
}

absl::StatusOr<ImageRecord> ParseImageRecordJson(
    const std::string& manifest_digest, absl::string_view json,
    const std::string& legacy_tenant) {
  const nlohmann::json doc = ParseObject(json);
  if (doc.is_null()) return absl::DataLossError("not a JSON object");
  try {
    return RecordFromJson(manifest_digest, doc, legacy_tenant);
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed: ", e.what()));
  }
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
