// RunnerStack: the local half of a worker, under one root directory: the
// snapshot store, runc (or another executor), the cache-mount directories
// and the StageRunner that drives them, over a CAS and an action cache
// given from outside (remote ones in farm-worker, local ones in tests). It
// starts by removing what a previous process on the same root left behind
// (containers, cgroups, mounts: executor/leftovers.h).
#ifndef FARM_WORKER_RUNNER_STACK_H_
#define FARM_WORKER_RUNNER_STACK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "common/fs.h"
#include "worker/cache_mount_pointer_client.h"
#include "worker/cache_mount_sync.h"
#include "worker/cache_mounts.h"
#include "worker/context_mirrors.h"
#include "worker/executor/executor.h"
#include "worker/executor/leftovers.h"
#include "worker/executor/runc_executor.h"
#include "worker/snapshot/snapshot_store.h"
#include "worker/stage_runner.h"

namespace farm::worker {

struct RunnerStackOptions {
  // <root>/snapshots, executor, cache-mounts, contexts and scratch (emptied
  // here). Created 0700 if missing.
  std::string root;
  // Bytes of unused unpacked layers to keep; 0: no limit.
  uint64_t snapshot_max_bytes = 0;
  std::string runc = "runc";
  // Build contexts kept between jobs under <root>/contexts: how many
  // unleased ones, and their file bytes together.
  int context_mirrors = 2;
  uint64_t context_mirror_max_bytes = uint64_t{2} << 30;
  // SOURCE_DATE_EPOCH of the worker's environment.
  std::optional<int64_t> source_date_epoch;
  // The limits of each RUN (farm-worker --run-*); a build's own can only
  // lower them. None by default. RUN steps run in cgroups under
  // CgroupParentForRoot(root) either way.
  executor::ResourceLimits run_limits;
  // How long to wait for <root>/lock. A worker killed with SIGKILL leaves
  // its reaper holding it while it kills the dead worker's steps and
  // unmounts their files; a worker started again at once waits for that.
  absl::Duration root_lock_wait = absl::Seconds(10);
  // The scheduler's pointers to the newest generation of each cache mount
  // (not owned; must outlive the stack). With one and a positive
  // cache_mount_max_bytes, cache mounts are shared with the other workers
  // (CacheMountSync); otherwise they stay on this one.
  CacheMountPointerClient* cache_mount_pointers = nullptr;
  uint64_t cache_mount_max_bytes = 0;
  // Runs the RUN steps instead of runc (tests pass a FakeExecutor); not
  // owned, must outlive the stack. Null: a RuncExecutor under
  // <root>/executor, made once the root is clean, as farm-worker uses.
  executor::Executor* executor = nullptr;
};

class RunnerStack {
 public:
  // `blobs` and `actions` are not owned and must outlive the stack.
  // kInvalidArgument for a relative root; kUnavailable while another
  // process holds the root (<root>/lock) for longer than root_lock_wait;
  // the store's and executor's errors otherwise.
  static absl::StatusOr<std::unique_ptr<RunnerStack>> Create(
      RunnerStackOptions options, cache::BlobStore* blobs,
      cache::ActionCache* actions);

  StageRunner& runner() { return *runner_; }
  CacheMounts& cache_mounts() { return *cache_mounts_; }
  snapshot::SnapshotStore& snapshots() { return *snapshots_; }
  // The cgroup the RUN steps run under.
  const std::string& cgroup_parent() const { return cgroup_parent_; }
  // Removes that cgroup (and anything left in it) from every hierarchy;
  // once no job runs any more. The next RUN makes it again.
  absl::Status RemoveCgroups();

  ~RunnerStack();

 private:
  RunnerStack() = default;

  // flock(2) on <root>/lock, held until everything else is gone: one
  // process per root, since starting cleans up whatever runs there.
  ScopedFd lock_;
  // Destroyed bottom-up: the runner before what it uses.
  std::unique_ptr<snapshot::SnapshotStore> snapshots_;
  std::unique_ptr<executor::RuncExecutor> runc_;
  std::unique_ptr<CacheMountSync> cache_mount_sync_;
  std::unique_ptr<CacheMounts> cache_mounts_;
  std::unique_ptr<ContextMirrors> context_mirrors_;
  std::unique_ptr<StageRunner> runner_;
  std::string cgroup_parent_;
  // Keeps other workers' start-up sweeps off cgroup_parent_.
  executor::CgroupParentLease cgroup_lease_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_RUNNER_STACK_H_
