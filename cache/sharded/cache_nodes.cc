#include "cache/sharded/cache_nodes.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace farm::cache {
namespace {

absl::Status CheckNode(const CacheNode& node, absl::string_view entry) {
  if (node.address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache node \"", entry, "\" has no address"));
  }
  if (!std::isfinite(node.weight) || node.weight <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache node \"", entry,
                     "\": the weight must be a positive finite number"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CacheNode> ParseEntry(absl::string_view entry) {
  CacheNode node;
  absl::string_view address = entry;
  if (size_t eq = entry.rfind('='); eq != absl::string_view::npos) {
    address = absl::StripAsciiWhitespace(entry.substr(0, eq));
    absl::string_view weight = absl::StripAsciiWhitespace(entry.substr(eq + 1));
    if (!absl::SimpleAtod(weight, &node.weight)) {
      return absl::InvalidArgumentError(absl::StrCat("cache node \"", entry,
                                                     "\": weight \"", weight,
                                                     "\" is not a number"));
    }
  }
  node.address = std::string(address);
  RETURN_IF_ERROR(CheckNode(node, entry));
  return node;
}

}  // namespace

absl::StatusOr<std::vector<CacheNode>> ParseCacheNodes(absl::string_view list) {
  std::vector<CacheNode> nodes;
  int position = 0;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    ++position;
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cache node list \"", list, "\": entry ", position, " is empty"));
    }
    ASSIGN_OR_RETURN(CacheNode node, ParseEntry(entry));
    nodes.push_back(std::move(node));
  }
  RETURN_IF_ERROR(ValidateCacheNodes(nodes));
  return nodes;
}

absl::Status ValidateCacheNodes(const std::vector<CacheNode>& nodes) {
  if (nodes.empty()) return absl::InvalidArgumentError("no cache nodes");
  absl::flat_hash_set<absl::string_view> seen;
  for (const CacheNode& node : nodes) {
    RETURN_IF_ERROR(CheckNode(node, node.address));
    if (!seen.insert(node.address).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cache node \"", node.address, "\" is listed more than once"));
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::cache
