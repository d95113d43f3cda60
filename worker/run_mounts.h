// RunMounts: turns the --mount flags of one RUN into the mounts the
// executor adds to its container: bind mounts of the build context or of a
// stage or image (read-only, or a private copy for rw), persistent cache
// directories, tmpfs, and the build's secrets (a read-only file, by
// default /run/secrets/<id>, or an environment variable). A secret the
// build lacks, and any SSH agent (farm forwards none), fails when required
// and is left out otherwise, as BuildKit does for missing optional ones.
// Target directories are made in the rootfs first, so they remain in the
// layer as empty directories the way Docker leaves them.
#ifndef FARM_WORKER_RUN_MOUNTS_H_
#define FARM_WORKER_RUN_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dockerfile/mount.h"
#include "google/protobuf/map.h"
#include "proto/plan.pb.h"
#include "worker/cache_mounts.h"
#include "worker/executor/cancellation.h"
#include "worker/executor/executor.h"
#include "worker/source_trees.h"

namespace farm::worker {

struct RunMountInputs {
  SourceTrees* sources = nullptr;
  CacheMounts* caches = nullptr;
  // The container's rootfs and working directory (relative targets).
  std::string rootfs;
  std::string workdir = "/";
  // A directory of the job's own for private copies of rw bind sources.
  std::string scratch_dir;
  // The resolved from= of the mounts that have one, in order (the planned
  // instruction's sources).
  std::vector<proto::StageRef> from_refs;
  const executor::Cancellation* cancel = nullptr;
  // The builds' tenant, whose cache mounts the RUN uses, and the job's
  // grant to share them with other workers (StageJob.cache_mount_grant).
  std::string tenant;
  std::string cache_mount_grant;
  // The build's --secret values by id; null: none.
  const google::protobuf::Map<std::string, std::string>* secrets = nullptr;
};

// Holds what the mounts need while the RUN runs (cache leases); release it
// after the container is gone.
class RunMounts {
 public:
  // Errors name the mount: kNotFound for a bind source that does not exist
  // ("mount source \"/x\": not found"), kFailedPrecondition for a required
  // secret (one the build lacks) or SSH agent, the errors of the sources,
  // of writing a secret's file and of making targets
  // otherwise. A cache mount with from= is seeded from that source the
  // first time it is used (while empty).
  static absl::StatusOr<RunMounts> Prepare(
      const std::vector<dockerfile::Mount>& mounts,
      const RunMountInputs& inputs);

  const std::vector<executor::Mount>& mounts() const { return mounts_; }
  // "K=V" for secrets mounted with env=, to add to the process's environment.
  const std::vector<std::string>& env() const { return env_; }

 private:
  std::vector<executor::Mount> mounts_;
  std::vector<std::string> env_;
  std::vector<CacheMounts::Lease> leases_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_RUN_MOUNTS_H_
