#include "scheduler/image_index.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {

absl::StatusOr<ImageIndex> ImageIndex::Load(const std::string& path) {
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
    // value() returns a copy; keep it alive while iterating.
    const nlohmann::json images =
        doc.value("images", nlohmann::json::object());
    const nlohmann::json tags = doc.value("tags", nlohmann::json::object());
    for (const auto& [digest, value] : images.items()) {
      ImageRecord record;
      record.manifest_digest = digest;
      record.config_digest = value.at("config").get<std::string>();
      record.created =
          absl::FromUnixNanos(value.value("created_ns", int64_t{0}));
      record.size = value.value("size", int64_t{0});
      index.images_[digest] = record;
    }
    for (const auto& [tag, digest] : tags.items()) {
      index.tags_[tag] = digest.get<std::string>();
    }
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
                      {"size", record.size}};
  }
  nlohmann::json doc = {{"images", images}, {"tags", tags_}};
  absl::Status made = MakeDirs(DirName(path_));
  if (!made.ok()) return made;
  return WriteFileAtomic(path_, doc.dump(1) + "\n");
}

std::vector<std::string> ImageIndex::TagsOf(
    const std::string& manifest_digest) const {
  std::vector<std::string> out;
  for (const auto& [tag, digest] : tags_) {
    if (digest == manifest_digest) out.push_back(tag);
  }
  return out;
}

}  // namespace farm::scheduler
