// SnapshotStore: the worker's local copy of layers. Each layer is fetched
// from the CAS and unpacked once, into a directory keyed by its diffID, and
// shared by every workspace that stacks it with overlayfs. Layers in use are
// reference-counted; unused ones beyond a byte budget are removed, least
// recently used first. See docs/worker.md for the layout on disk.
#ifndef FARM_WORKER_SNAPSHOT_SNAPSHOT_STORE_H_
#define FARM_WORKER_SNAPSHOT_SNAPSHOT_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "cache/lru_index.h"
#include "common/digest.h"
#include "image/layer/layer_applier.h"
#include "proto/cache.pb.h"
#include "worker/snapshot/store_layout.h"
#include "worker/snapshot/workspace.h"

namespace farm::snapshot {

struct SnapshotStoreOptions {
  // The store's own directory, e.g. <worker root>/snapshots.
  std::string root;
  // Bytes of unreferenced layers to keep; 0 keeps everything.
  uint64_t max_bytes = 0;
  // Limits for unpacking (the mode is always overlay).
  image::layer::ApplyOptions apply;
};

// What the worker tells the scheduler it holds.
struct StoreSummary {
  uint64_t bytes = 0;
  std::vector<std::string> diff_ids;  // "sha256:...", sorted
};

class SnapshotStore {
 public:
  // Opens (or creates) the store at options.root. Leftovers of a crash are
  // cleaned first: workspaces are unmounted and removed, half-finished
  // unpacks deleted, layers without valid metadata dropped. `blobs` is not
  // owned and must outlive the store.
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(
      SnapshotStoreOptions options, cache::BlobStore* blobs);
  // Every Workspace must be destroyed before the store.
  ~SnapshotStore();

  // Mounts an overlay over `chain` (base layer first; may be empty for
  // FROM scratch) with a fresh upper dir. Layers not yet held are fetched
  // by their compressed digest and unpacked; concurrent calls needing the
  // same layer unpack it once. Thread-safe. Errors: kInvalidArgument for a
  // malformed digest or a missing diff_id, kNotFound for a blob the CAS does
  // not have, kDataLoss when a blob's content does not have the promised
  // diff_id, the applier's codes for a bad layer, errno codes for mounts.
  absl::StatusOr<std::unique_ptr<Workspace>> Mount(
      const std::vector<proto::LayerRef>& chain);

  StoreSummary Summary() const;
  bool Contains(const Digest& diff_id) const;
  // The unpacked directory of a held layer (for inspection and tests).
  std::string LayerPath(const Digest& diff_id) const {
    return layout_.LayerFs(diff_id);
  }

 private:
  friend class Workspace;

  struct Layer {
    LayerMeta meta;
    int refs = 0;
  };
  struct InFlight;

  SnapshotStore(SnapshotStoreOptions options, cache::BlobStore* blobs);
  absl::Status Recover();
  absl::Status LoadLayers();
  absl::Status FixLinks();

  // Takes a reference on the layer, unpacking it if needed; returns its
  // link name.
  absl::StatusOr<std::string> Acquire(const proto::LayerRef& ref,
                                      const Digest& diff_id);
  // Unpacks into a fresh directory under tmp/; returns that directory.
  absl::StatusOr<std::string> Unpack(const proto::LayerRef& ref,
                                     const Digest& diff_id);
  // Moves a complete `staged` dir (with fs/) into layers/ and indexes it.
  absl::StatusOr<LayerMeta> Install(const std::string& staged,
                                    const Digest& diff_id, uint64_t bytes,
                                    int refs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewTmpName(absl::string_view what);

  // For Workspace.
  void Release(const std::vector<Digest>& layers);
  absl::Status Adopt(const std::string& upper, const Digest& diff_id,
                     std::optional<int64_t> source_date_epoch);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> TakeDoomed() ABSL_LOCKS_EXCLUDED(mu_);

  const SnapshotStoreOptions options_;
  const StoreLayout layout_;
  cache::BlobStore* blobs_;
  std::atomic<uint64_t> next_name_{0};

  mutable absl::Mutex mu_;
  absl::flat_hash_map<Digest, Layer> layers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Digest> links_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Digest, std::shared_ptr<InFlight>> unpacking_
      ABSL_GUARDED_BY(mu_);
  cache::LruIndex lru_ ABSL_GUARDED_BY(mu_);
  // Evicted layer dirs, already moved under tmp/, to delete outside mu_.
  std::vector<std::string> doomed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::snapshot

#endif  // FARM_WORKER_SNAPSHOT_SNAPSHOT_STORE_H_
