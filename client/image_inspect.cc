#include "client/image_inspect.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/human_format.h"
#include "image/registry/reference.h"
#include "nlohmann/json.hpp"

namespace farm::client {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kOciIndexMediaType[] = "application/vnd.oci.image.index.v1+json";

absl::StatusOr<Json> ParseJson(const std::string& text, const char* what) {
  Json json = Json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::DataLossError(
        absl::StrCat("the image's ", what, " is not a JSON object"));
  }
  return json;
}

std::string Rfc3339(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ",
                          absl::FromUnixNanos(unix_nanos), absl::UTCTimeZone());
}

// The "Manifests" entry of one platform's image of a multi-platform one.
Json PlatformEntry(const proto::ImageSummary& image) {
  std::string platform =
      image.platforms().empty() ? std::string() : image.platforms(0);
  std::vector<std::string> parts = absl::StrSplit(platform, '/');
  Json entry;
  entry["Platform"] = platform;
  entry["Digest"] = image.manifest_digest();
  entry["Id"] = image.image_id();
  entry["Architecture"] = parts.size() > 1 ? parts[1] : "";
  entry["Os"] = parts[0];
  if (parts.size() > 2) entry["Variant"] = parts[2];
  entry["Size"] = image.size();
  return entry;
}

// A multi-platform image's object: the default platform's image under the
// index's id and descriptor, with every platform's image and the index.
absl::Status DescribeIndex(const proto::InspectImageResponse& image,
                           Json* entry) {
  absl::StatusOr<Json> index = ParseJson(image.index(), "index");
  if (!index.ok()) return index.status();
  (*entry)["Descriptor"] = {
      {"mediaType", index->value("mediaType", kOciIndexMediaType)},
      {"digest", image.summary().manifest_digest()},
      {"size", image.index().size()}};
  Json manifests = Json::array();
  for (const proto::ImageSummary& one : image.manifests()) {
    manifests.push_back(PlatformEntry(one));
  }
  (*entry)["Manifests"] = std::move(manifests);
  (*entry)["Index"] = *std::move(index);
  return absl::OkStatus();
}

}  // namespace

std::string ShortImageId(const std::string& digest) {
  absl::string_view hex = digest;
  if (absl::StartsWith(hex, "sha256:")) hex.remove_prefix(7);
  return std::string(hex.substr(0, 12));
}

std::string FamiliarTag(const std::string& tag) {
  absl::StatusOr<image::registry::Reference> ref =
      image::registry::Reference::Parse(tag);
  return ref.ok() ? ref->Familiar() : tag;
}

absl::StatusOr<std::string> InspectJson(
    const std::vector<proto::InspectImageResponse>& images) {
  Json out = Json::array();
  for (const proto::InspectImageResponse& image : images) {
    absl::StatusOr<Json> config = ParseJson(image.config(), "config");
    if (!config.ok()) return config.status();
    absl::StatusOr<Json> manifest = ParseJson(image.manifest(), "manifest");
    if (!manifest.ok()) return manifest.status();
    Json tags = Json::array();
    for (const std::string& tag : image.summary().tags()) {
      tags.push_back(FamiliarTag(tag));
    }
    std::string comment;
    if (config->contains("history") && (*config)["history"].is_array() &&
        !(*config)["history"].empty()) {
      comment = (*config)["history"].back().value("comment", "");
    }
    Json entry;
    entry["Id"] = image.summary().image_id();
    entry["RepoTags"] = tags;
    entry["RepoDigests"] = Json::array();
    entry["Parent"] = "";
    entry["Comment"] = comment;
    entry["Created"] = config->value("created", "");
    entry["DockerVersion"] = "";
    entry["Author"] = config->value("author", "");
    entry["Config"] = config->value("config", Json::object());
    entry["Architecture"] = config->value("architecture", "");
    if (config->contains("variant")) entry["Variant"] = (*config)["variant"];
    entry["Os"] = config->value("os", "");
    entry["Size"] = image.summary().size();
    Json layers = Json::array();
    if (config->contains("rootfs")) {
      layers = (*config)["rootfs"].value("diff_ids", Json::array());
    }
    entry["RootFS"] = {{"Type", "layers"}, {"Layers", layers}};
    entry["Metadata"] = {
        {"LastTagTime", Rfc3339(image.summary().created_unix_nanos())}};
    if (image.index().empty()) {
      entry["Descriptor"] = {{"mediaType", manifest->value("mediaType", "")},
                             {"digest", image.summary().manifest_digest()},
                             {"size", image.manifest().size()}};
    } else {
      absl::Status described = DescribeIndex(image, &entry);
      if (!described.ok()) return described;
    }
    out.push_back(std::move(entry));
  }
  return out.dump(4) + "\n";
}

absl::StatusOr<std::string> HistoryTable(
    const proto::InspectImageResponse& image, bool no_trunc, absl::Time now) {
  absl::StatusOr<Json> config = ParseJson(image.config(), "config");
  if (!config.ok()) return config.status();
  absl::StatusOr<Json> manifest = ParseJson(image.manifest(), "manifest");
  if (!manifest.ok()) return manifest.status();
  Json history = config->value("history", Json::array());
  Json layers = manifest->value("layers", Json::array());
  // Match each non-empty history entry with its layer, oldest first.
  std::vector<int64_t> sizes(history.size(), 0);
  size_t layer = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].value("empty_layer", false)) continue;
    if (layer < layers.size()) {
      sizes[i] = layers[layer].value("size", int64_t{0});
    }
    ++layer;
  }
  std::vector<std::vector<std::string>> rows = {
      {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}};
  for (size_t n = history.size(); n-- > 0;) {
    const Json& step = history[n];
    std::string id = n + 1 == history.size()
                         ? (no_trunc ? image.summary().image_id()
                                     : ShortImageId(image.summary().image_id()))
                         : "<missing>";
    std::string created = "N/A";
    absl::Time when;
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full, step.value("created", ""), &when,
                        &error)) {
      created = HumanDuration(now - when) + " ago";
    }
    std::string by = step.value("created_by", "");
    if (!no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
    rows.push_back(
        {id, created, by, HumanSize(sizes[n]), step.value("comment", "")});
  }
  return FormatTable(rows);
}

}  // namespace farm::client
