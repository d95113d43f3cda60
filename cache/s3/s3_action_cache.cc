#include "cache/s3/s3_action_cache.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache::s3 {
namespace {

// Results are a few hundred bytes; anything near this is not one.
constexpr size_t kMaxResultBytes = 1 << 20;

absl::StatusOr<proto::ActionResult> Parse(const Digest& key,
                                          absl::StatusOr<std::string> bytes) {
  if (absl::IsNotFound(bytes.status()) &&
      !absl::StartsWith(bytes.status().message(), "the bucket")) {
    return absl::NotFoundError(absl::StrCat(
        "no action result for key ", key.ToString(), " in the object store"));
  }
  if (!bytes.ok()) return bytes.status();
  proto::ActionResult result;
  if (!result.ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("the object store's action result for ", key.ToString(),
                     " does not parse"));
  }
  return result;
}

}  // namespace

std::string S3ActionCache::KeyOf(const Digest& key) {
  return absl::StrCat("ac/", key.hex());
}

absl::StatusOr<proto::ActionResult> S3ActionCache::Get(const Digest& key) {
  std::vector<absl::StatusOr<proto::ActionResult>> results =
      GetMany(absl::MakeConstSpan(&key, 1));
  return std::move(results[0]);
}

std::vector<absl::StatusOr<proto::ActionResult>> S3ActionCache::GetMany(
    absl::Span<const Digest> keys) {
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (const Digest& key : keys) names.push_back(KeyOf(key));
  std::vector<absl::StatusOr<std::string>> bytes =
      bucket_->ReadSmall(names, kMaxResultBytes);
  std::vector<absl::StatusOr<proto::ActionResult>> results;
  results.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    results.push_back(Parse(keys[i], std::move(bytes[i])));
  }
  return results;
}

absl::Status S3ActionCache::Update(const Digest& key,
                                   const proto::ActionResult& result) {
  RETURN_IF_ERROR(ValidateActionResult(result));
  return bucket_->Write(KeyOf(key), result.SerializeAsString());
}

}  // namespace farm::cache::s3
