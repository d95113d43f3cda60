// PublishLayer: turns an instruction's overlay upper dir into a layer blob
// in the shared CAS. The layer is written once to a local temporary file
// (its digest is known only at the end) and stored unless the CAS holds it
// already, which is common: deterministic layers repeat across builds.
#ifndef FARM_WORKER_LAYER_PUBLISHER_H_
#define FARM_WORKER_LAYER_PUBLISHER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "proto/cache.pb.h"

namespace farm::worker {

// Writes `dir` as a gzip layer (image/layer WriteLayer; mtimes clamped to
// `source_date_epoch` when set) into a file under `tmp_dir`, stores it in
// `blobs` (BlobStore::PutFile, which may take the file) and returns its
// reference. The temporary file is always gone afterwards.
// Errors are WriteLayer's and the store's, with the step named.
absl::StatusOr<proto::LayerRef> PublishLayer(
    const std::string& dir, cache::BlobStore& blobs, const std::string& tmp_dir,
    std::optional<int64_t> source_date_epoch);

}  // namespace farm::worker

#endif  // FARM_WORKER_LAYER_PUBLISHER_H_
