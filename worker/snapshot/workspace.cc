#include "worker/snapshot/workspace.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/snapshot/overlay_mount.h"
#include "worker/snapshot/snapshot_store.h"

namespace farm::snapshot {

Workspace::Workspace(SnapshotStore* store, std::string dir,
                     std::vector<Digest> layers)
    : store_(store),
      dir_(std::move(dir)),
      upper_(dir_ + "/upper"),
      merged_(dir_ + "/merged"),
      layers_(std::move(layers)) {}

Workspace::~Workspace() {
  absl::Status s = Release();
  if (!s.ok()) {
    FARM_LOG(WARNING) << "releasing workspace " << dir_ << ": " << s;
  }
}

absl::Status Workspace::Unmount() {
  RETURN_IF_ERROR(snapshot::Unmount(merged_));
  if (IsMountPoint(merged_)) {
    return absl::InternalError(
        absl::StrCat(merged_, " is still mounted after unmounting it"));
  }
  return absl::OkStatus();
}

absl::Status Workspace::Release() {
  if (released_) return absl::OkStatus();
  released_ = true;
  absl::Status s = Unmount();
  // Never delete through a mount that is still there.
  if (s.ok()) s = RemoveAll(dir_);
  store_->Release(layers_);
  return s;
}

absl::Status Workspace::Commit(const Digest& diff_id,
                               std::optional<int64_t> source_date_epoch) {
  if (released_) {
    return absl::FailedPreconditionError(
        absl::StrCat("workspace ", dir_, " was already released"));
  }
  absl::Status s = Unmount();
  if (s.ok()) s = store_->Adopt(upper_, diff_id, source_date_epoch);
  absl::Status released = Release();
  RETURN_IF_ERROR(
      Annotate(s, absl::StrCat("committing layer ", diff_id.ToString())));
  return released;
}

}  // namespace farm::snapshot
