#include "cache/blob_checking_action_cache.h"

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache {

BlobCheckingActionCache::BlobCheckingActionCache(ActionCache* inner,
                                                 BlobStore* blobs,
                                                 Options options)
    : inner_(inner), blobs_(blobs), options_(options) {}

absl::Status BlobCheckingActionCache::CheckLayer(const Digest& layer) {
  if (!options_.verify_content) return blobs_->Stat(layer).status();
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, blobs_->Get(layer));
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  while (true) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf.get(), 1 << 20));
    if (n == 0) return absl::OkStatus();
  }
}

absl::StatusOr<proto::ActionResult> BlobCheckingActionCache::Get(
    const Digest& key) {
  ASSIGN_OR_RETURN(proto::ActionResult result, inner_->Get(key));
  if (!result.has_layer()) return result;
  ASSIGN_OR_RETURN(Digest layer, Digest::Parse(result.layer().digest()));
  absl::Status status = CheckLayer(layer);
  if (status.code() == absl::StatusCode::kNotFound ||
      status.code() == absl::StatusCode::kDataLoss) {
    return Unusable(key, status);
  }
  RETURN_IF_ERROR(status);
  return result;
}

absl::Status BlobCheckingActionCache::Unusable(const Digest& key,
                                               const absl::Status& layer) {
  return absl::NotFoundError(absl::StrCat("action ", key.ToString(),
                                          " is cached but its layer is "
                                          "unusable (",
                                          layer.message(),
                                          "); treating it as a miss"));
}

std::vector<absl::StatusOr<proto::ActionResult>>
BlobCheckingActionCache::GetMany(absl::Span<const Digest> keys) {
  if (options_.verify_content) return ActionCache::GetMany(keys);
  std::vector<absl::StatusOr<proto::ActionResult>> results =
      inner_->GetMany(keys);
  // The layer of each hit, checked in one call.
  std::vector<Digest> layers;
  std::vector<size_t> owners;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok() || !results[i]->has_layer()) continue;
    absl::StatusOr<Digest> layer = Digest::Parse(results[i]->layer().digest());
    if (!layer.ok()) {
      results[i] = layer.status();
      continue;
    }
    layers.push_back(*layer);
    owners.push_back(i);
  }
  if (layers.empty()) return results;
  absl::StatusOr<std::vector<Digest>> missing = blobs_->FindMissing(layers);
  if (!missing.ok()) {
    for (size_t i : owners) results[i] = missing.status();
    return results;
  }
  absl::flat_hash_set<Digest> gone(missing->begin(), missing->end());
  for (size_t n = 0; n < owners.size(); ++n) {
    if (gone.contains(layers[n])) {
      results[owners[n]] = Unusable(
          keys[owners[n]], absl::NotFoundError(absl::StrCat(
                               layers[n].ToString(), " is not stored")));
    }
  }
  return results;
}

absl::Status BlobCheckingActionCache::Update(
    const Digest& key, const proto::ActionResult& result) {
  if (result.has_layer()) {
    ASSIGN_OR_RETURN(Digest layer, Digest::Parse(result.layer().digest()));
    absl::Status stored = blobs_->Stat(layer).status();
    if (stored.code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError(
          absl::StrCat("action ", key.ToString(), ": layer blob ",
                       layer.ToString(), " must be stored before the result"));
    }
    RETURN_IF_ERROR(stored);
  }
  return inner_->Update(key, result);
}

}  // namespace farm::cache
