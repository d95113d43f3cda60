// LayerUploadWatch: a BlobStore decorator for the store a scheduler serves
// to its workers. An upload whose first bytes are a gzip or zstd header is
// also inflated and hashed as it arrives; once the store has committed it (so
// its digest is checked), `on_layer` learns its digest, diff_id and size.
// The ResultVerifier then knows a layer a worker has just uploaded without
// reading hundreds of MB back after the stage: the same check, done while
// the bytes pass by. A plain tar upload (farm's build form) is reported
// with its digest as its diff_id once the store has checked the digest.
// Other uploads, and those that do not inflate, are stored as ever and
// simply not reported.
#ifndef FARM_SCHEDULER_LAYER_UPLOAD_WATCH_H_
#define FARM_SCHEDULER_LAYER_UPLOAD_WATCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "cache/forwarding_blob_store.h"
#include "common/digest.h"

namespace farm::scheduler {

class LayerUploadWatch : public cache::ForwardingBlobStore {
 public:
  // Called on the uploading thread after a successful commit.
  using OnLayer = std::function<void(const Digest& digest,
                                     const Digest& diff_id, uint64_t size)>;

  // `inner` is not owned and must outlive the watch.
  LayerUploadWatch(cache::BlobStore* inner, OnLayer on_layer)
      : ForwardingBlobStore(inner), on_layer_(std::move(on_layer)) {}

  absl::StatusOr<std::unique_ptr<cache::BlobWriter>> Put(
      const Digest& digest) override;

 private:
  OnLayer on_layer_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_LAYER_UPLOAD_WATCH_H_
