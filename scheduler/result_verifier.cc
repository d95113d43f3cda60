#include "scheduler/result_verifier.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/compress/decompressor.h"
#include "image/oci/config.h"

namespace farm::scheduler {

namespace {

// The sha256 of what `reader` yields.
absl::StatusOr<Digest> DigestOf(ByteReader& reader) {
  Sha256Hasher hasher;
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  while (true) {
    ASSIGN_OR_RETURN(size_t n, reader.Read(buffer.get(), 1 << 20));
    if (n == 0) return hasher.Finish();
    hasher.Update(buffer.get(), n);
  }
}

// What a verified layer is remembered by.
std::string LayerKey(absl::string_view digest, absl::string_view diff_id,
                     int64_t size) {
  return absl::StrCat(digest, " ", diff_id, " ", size);
}

}  // namespace

bool ResultVerifier::Known(const std::string& key) {
  absl::MutexLock lock(&mu_);
  return verified_.contains(key);
}

void ResultVerifier::Remember(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (!verified_.insert(key).second) return;
  order_.push_back(key);
  while (order_.size() > remember_) {
    verified_.erase(order_.front());
    order_.pop_front();
  }
}

void ResultVerifier::LayerSeen(const Digest& digest, const Digest& diff_id,
                               uint64_t size) {
  Remember(LayerKey(digest.ToString(), diff_id.ToString(),
                    static_cast<int64_t>(size)));
}

absl::Status ResultVerifier::VerifyLayer(const proto::LayerRef& layer) {
  const std::string key =
      LayerKey(layer.digest(), layer.diff_id(), layer.size());
  if (Known(key)) return absl::OkStatus();
  ASSIGN_OR_RETURN(Digest digest, Digest::Parse(layer.digest()));
  ASSIGN_OR_RETURN(Digest diff_id, Digest::Parse(layer.diff_id()));
  ASSIGN_OR_RETURN(cache::BlobInfo info, blobs_->Stat(digest));
  if (static_cast<int64_t>(info.size) != layer.size()) {
    return absl::DataLossError(
        absl::StrCat("layer ", layer.digest(), " was reported as ",
                     layer.size(), " bytes but the cache holds ", info.size));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> blob, blobs_->Get(digest));
  image::compress::DecompressingReader tar(std::move(blob));
  absl::StatusOr<Digest> actual = DigestOf(tar);
  if (!actual.ok()) {
    return absl::DataLossError(
        absl::StrCat("layer ", layer.digest(),
                     " does not decompress: ", actual.status().message()));
  }
  if (*actual != diff_id) {
    return absl::DataLossError(absl::StrCat(
        "layer ", layer.digest(), " was reported with diff_id ",
        layer.diff_id(), " but its content is ", actual->ToString()));
  }
  Remember(key);
  return absl::OkStatus();
}

absl::Status ResultVerifier::Verify(const proto::StageOutput& output,
                                    const proto::StageOutput& base) {
  ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                   image::oci::ImageConfig::Parse(output.config()));
  if (static_cast<int>(config.diff_ids.size()) != output.layers_size()) {
    return absl::DataLossError(
        absl::StrCat("the stage's config lists ", config.diff_ids.size(),
                     " layers but the worker reported ", output.layers_size()));
  }
  if (output.layers_size() < base.layers_size()) {
    return absl::DataLossError(absl::StrCat(
        "the worker reported ", output.layers_size(),
        " layers, fewer than the stage's base has (", base.layers_size(), ")"));
  }
  for (int i = 0; i < output.layers_size(); ++i) {
    const proto::LayerRef& layer = output.layers(i);
    if (config.diff_ids[i].ToString() != layer.diff_id()) {
      return absl::DataLossError(
          absl::StrCat("layer ", i + 1, " of the stage's config is ",
                       config.diff_ids[i].ToString(),
                       " but the worker reported ", layer.diff_id()));
    }
    if (i < base.layers_size()) {
      if (layer.digest() != base.layers(i).digest() ||
          layer.diff_id() != base.layers(i).diff_id()) {
        return absl::DataLossError(absl::StrCat(
            "the worker changed base layer ", i + 1, " to ", layer.digest()));
      }
      continue;
    }
    RETURN_IF_ERROR(VerifyLayer(layer));
  }
  return absl::OkStatus();
}

}  // namespace farm::scheduler
