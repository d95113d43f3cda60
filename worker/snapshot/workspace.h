// Workspace: one overlay mount made by the SnapshotStore for one
// instruction: the merged dir is the rootfs that runc and the file
// operations work in, the upper dir collects what the instruction changes
// and becomes its layer. Unmounted and removed by Release, Commit or the
// destructor, whichever comes first.
#ifndef FARM_WORKER_SNAPSHOT_WORKSPACE_H_
#define FARM_WORKER_SNAPSHOT_WORKSPACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/digest.h"

namespace farm::snapshot {

class SnapshotStore;

// Not thread-safe; the store it came from must outlive it.
class Workspace {
 public:
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // The mounted rootfs.
  const std::string& rootfs() const { return merged_; }
  // The overlay upper dir: whiteouts are 0/0 character devices and opaque
  // directories carry trusted.overlay.opaque, as WriteLayer expects.
  const std::string& upper() const { return upper_; }
  // diffIDs of the lower layers, base first, each once.
  const std::vector<Digest>& layers() const { return layers_; }

  // Unmounts, deletes the upper dir and drops the layer references. Later
  // calls do nothing.
  absl::Status Release();

  // Unmounts and adopts the upper dir as the snapshot of the layer
  // `diff_id` (the diffID WriteLayer computed from upper(), with the same
  // `source_date_epoch`), so the next instruction can stack on it without
  // unpacking. The dir is first brought to the exact form unpacking that
  // layer gives (see layer_form.h). When the store already holds `diff_id`
  // the upper dir is simply discarded. The workspace is released either
  // way. kFailedPrecondition after Release or Commit.
  absl::Status Commit(const Digest& diff_id,
                      std::optional<int64_t> source_date_epoch = std::nullopt);

 private:
  friend class SnapshotStore;
  Workspace(SnapshotStore* store, std::string dir, std::vector<Digest> layers);
  absl::Status Unmount();

  SnapshotStore* store_;
  std::string dir_;
  std::string upper_;
  std::string merged_;
  std::vector<Digest> layers_;
  bool released_ = false;
};

}  // namespace farm::snapshot

#endif  // FARM_WORKER_SNAPSHOT_WORKSPACE_H_
