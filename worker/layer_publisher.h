// Layer publishing: an instruction's overlay upper dir becomes a layer blob
// in the shared CAS in two halves. WriteLayerFile writes the layer once to
// a local file (its digest is known only at the end); StoreLayerFile puts
// that file in the CAS unless it holds the blob already, which is common:
// deterministic layers repeat across builds. The stage runner runs the
// second half in the background (see BackgroundTasks), so a big layer's
// upload overlaps the steps after it.
#ifndef FARM_WORKER_LAYER_PUBLISHER_H_
#define FARM_WORKER_LAYER_PUBLISHER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "proto/cache.pb.h"

namespace farm::worker {

// Writes `dir` as a plain (uncompressed) tar layer (image/layer WriteLayer;
// mtimes clamped to `source_date_epoch` when set) into the new file `path` and
// returns its reference. On error the file is gone. Errors are WriteLayer's.
absl::StatusOr<proto::LayerRef> WriteLayerFile(
    const std::string& dir, const std::string& path,
    std::optional<int64_t> source_date_epoch);

// Stores the file `path` from WriteLayerFile as the blob `layer` names
// (BlobStore::PutFile, which may take the file). The file is always gone
// afterwards. Errors are the store's, with the layer named.
absl::Status StoreLayerFile(const proto::LayerRef& layer,
                            const std::string& path, cache::BlobStore& blobs);

}  // namespace farm::worker

#endif  // FARM_WORKER_LAYER_PUBLISHER_H_
