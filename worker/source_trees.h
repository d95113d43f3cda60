// SourceTrees: the filesystems one stage job reads besides its own rootfs:
// the materialised build context, and the stages and images that COPY
// --from and RUN --mount from= name, each mounted once through the
// snapshot store and kept until the job ends.
#ifndef FARM_WORKER_SOURCE_TREES_H_
#define FARM_WORKER_SOURCE_TREES_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "proto/plan.pb.h"
#include "proto/worker.pb.h"
#include "worker/fileops/directory_tree.h"
#include "worker/snapshot/snapshot_store.h"

namespace farm::worker {

// Not thread-safe; one per job. `job`, `snapshots` and `blobs` must outlive
// it.
class SourceTrees {
 public:
  // `scratch_dir`: an existing directory of the job's own, where the
  // context is written.
  SourceTrees(const proto::StageJob& job, snapshot::SnapshotStore* snapshots,
              cache::BlobStore* blobs, std::string scratch_dir)
      : job_(job),
        snapshots_(snapshots),
        blobs_(blobs),
        scratch_dir_(std::move(scratch_dir)) {}

  // The build context, written from job.context on first use.
  absl::StatusOr<const fileops::DirectoryTree*> Context();
  // A stage output or image, mounted on first use.
  absl::StatusOr<const fileops::DirectoryTree*> Source(
      const proto::StageRef& ref);

 private:
  struct Mounted {
    std::unique_ptr<snapshot::Workspace> workspace;
    std::optional<fileops::DirectoryTree> tree;
  };

  const proto::StageJob& job_;
  snapshot::SnapshotStore* snapshots_;
  cache::BlobStore* blobs_;
  std::string scratch_dir_;
  std::optional<fileops::DirectoryTree> context_;
  // Workspaces are released when the map goes, before the store.
  std::map<std::string, Mounted> sources_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_SOURCE_TREES_H_
