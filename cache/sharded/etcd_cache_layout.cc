#include "cache/sharded/etcd_cache_layout.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace farm::cache {
namespace {

constexpr absl::string_view kScheme = "etcd://";

}  // namespace

std::string CacheNodesKeyPrefix(absl::string_view prefix) {
  return absl::StrCat(absl::StripSuffix(prefix, "/"), "/cache-nodes/");
}

std::string EncodeCacheNode(const CacheNode& node) {
  nlohmann::json j = {{"address", node.address}, {"weight", node.weight}};
  return j.dump();
}

absl::StatusOr<CacheNode> DecodeCacheNode(absl::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("address") || !j["address"].is_string() ||
      (j.contains("weight") && !j["weight"].is_number())) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache node record is not {\"address\":..,\"weight\":..}"
                     ": ",
                     json));
  }
  CacheNode node;
  node.address = j["address"].get<std::string>();
  if (j.contains("weight")) node.weight = j["weight"].get<double>();
  RETURN_IF_ERROR(ValidateCacheNodes({node}));
  return node;
}

bool IsEtcdCacheTarget(absl::string_view flag) {
  return absl::StartsWith(flag, kScheme);
}

absl::StatusOr<EtcdCacheTarget> ParseEtcdCacheTarget(absl::string_view flag) {
  absl::string_view rest = flag;
  if (!absl::ConsumePrefix(&rest, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", flag, "\" does not start with etcd://"));
  }
  EtcdCacheTarget target;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    absl::string_view path = absl::StripSuffix(rest.substr(slash), "/");
    if (!path.empty()) target.prefix = std::string(path);
    rest = rest.substr(0, slash);
  }
  for (absl::string_view host : absl::StrSplit(rest, ',', absl::SkipEmpty())) {
    target.endpoints.push_back(
        absl::StrCat("http://", absl::StripAsciiWhitespace(host)));
  }
  if (target.endpoints.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", flag, "\" names no etcd endpoint"));
  }
  return target;
}

}  // namespace farm::cache
