#include "cache/action_cache.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache {

std::vector<absl::StatusOr<proto::ActionResult>> ActionCache::GetMany(
    absl::Span<const Digest> keys) {
  std::vector<absl::StatusOr<proto::ActionResult>> results;
  results.reserve(keys.size());
  for (const Digest& key : keys) results.push_back(Get(key));
  return results;
}

absl::Status ValidateActionResult(const proto::ActionResult& result) {
  if (!result.has_layer()) return absl::OkStatus();
  if (result.empty_layer()) {
    return absl::InvalidArgumentError(
        "action result has a layer but is marked empty_layer");
  }
  RETURN_IF_ERROR(Annotate(Digest::Parse(result.layer().digest()).status(),
                           "action result layer digest"));
  RETURN_IF_ERROR(Annotate(Digest::Parse(result.layer().diff_id()).status(),
                           "action result layer diff_id"));
  if (result.layer().size() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "action result layer size is negative: ", result.layer().size()));
  }
  return absl::OkStatus();
}

bool LayerIsGone(const proto::ActionResult& result,
                 const std::function<bool(const Digest&)>& is_stored) {
  if (!result.has_layer()) return false;
  absl::StatusOr<Digest> digest = Digest::Parse(result.layer().digest());
  return !digest.ok() || !is_stored(*digest);
}

}  // namespace farm::cache
