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
#include "worker/context_mirrors.h"
#include "worker/fileops/directory_tree.h"
#include "worker/snapshot/snapshot_store.h"

namespace farm::worker {

// Not thread-safe; one per job. `job`, `snapshots` and `blobs` must outlive
// it.
class SourceTrees {
 public:
  // The context comes from a lease on `mirrors`, or without them (null) is
  // written into `scratch_dir`, an existing directory of the job's own.
  SourceTrees(const proto::StageJob& job, snapshot::SnapshotStore* snapshots,
              cache::BlobStore* blobs, ContextMirrors* mirrors,
              std::string scratch_dir)
      : job_(job),
        snapshots_(snapshots),
        blobs_(blobs),
        mirrors_(mirrors),
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
  ContextMirrors* mirrors_;
  std::string scratch_dir_;
  std::unique_ptr<ContextMirrors::Lease> context_lease_;
  std::optional<fileops::DirectoryTree> context_;
  // Workspaces are released when the map goes, before the store.
  std::map<std::string, Mounted> sources_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_SOURCE_TREES_H_
