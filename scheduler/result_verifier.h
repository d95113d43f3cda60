// ResultVerifier: checks what a worker reports for a stage against what the
// scheduler can see for itself, before any build uses it: each layer blob is
// in the CAS with the reported size, it decompresses to the reported
// diff_id, and the config's rootfs.diff_ids are the layers' diff_ids in
// order. A worker that lies, or has a bug, then fails its stage instead of
// putting a layer it did not describe into images. Layers that passed are
// remembered (a bounded set), so each is read once.
#ifndef FARM_SCHEDULER_RESULT_VERIFIER_H_
#define FARM_SCHEDULER_RESULT_VERIFIER_H_

#include <deque>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

// Thread-safe.
class ResultVerifier {
 public:
  // `blobs` is not owned. Up to `remember` verified layers are kept.
  explicit ResultVerifier(cache::BlobStore* blobs, size_t remember = 100'000)
      : blobs_(blobs), remember_(remember) {}

  // `base` is what the stage was given to build on: the output must start
  // with its layers unchanged, and only the layers after them are read.
  // kDataLoss naming the layer and what did not match; kNotFound for a
  // layer blob the CAS lacks; other errors of the store as they are.
  absl::Status Verify(const proto::StageOutput& output,
                      const proto::StageOutput& base);

  // Records that blob `digest`, committed to the CAS with `size` bytes,
  // decompresses to `diff_id` (LayerUploadWatch saw it on its way in), so
  // Verify need not read it back.
  void LayerSeen(const Digest& digest, const Digest& diff_id, uint64_t size);

 private:
  absl::Status VerifyLayer(const proto::LayerRef& layer);
  bool Known(const std::string& key);
  void Remember(const std::string& key);

  cache::BlobStore* blobs_;
  const size_t remember_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> verified_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_RESULT_VERIFIER_H_
