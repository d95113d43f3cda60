#include "worker/runner_stack.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/executor/cgroup.h"
#include "worker/executor/leftovers.h"
#include "worker/executor/limits.h"

namespace farm::worker {

namespace {

absl::StatusOr<std::unique_ptr<executor::RuncExecutor>> MakeRunc(
    const RunnerStackOptions& options, const std::string& cgroup_parent) {
  executor::RuncExecutor::Options executor_options;
  executor_options.state_dir = JoinPath(options.root, "executor");
  executor_options.runc = options.runc;
  // Docker leaves empty /proc, /dev and /sys in the first RUN layer of a
  // base that lacks them; so does farm (tests/compat run-bare-base).
  executor_options.remove_system_stubs = false;
  executor_options.cgroup_parent = cgroup_parent;
  // A RUN takes a private network opened ahead and leaves its teardown to
  // the background: ~20-40 ms less per step (docs/executor.md, "Cost").
  executor_options.spare_networks = 1;
  return executor::RuncExecutor::Create(executor_options);
}

}  // namespace

RunnerStack::~RunnerStack() {
  runner_.reset();
  if (absl::Status status = RemoveCgroups(); !status.ok()) {
    FARM_LOG(WARNING) << "removing cgroup " << cgroup_parent_ << ": " << status;
  }
}

absl::Status RunnerStack::RemoveCgroups() {
  if (cgroup_parent_.empty()) return absl::OkStatus();
  absl::StatusOr<executor::CgroupMounts> mounts = executor::FindCgroupMounts();
  if (!mounts.ok()) return mounts.status();
  return executor::KillCgroupTree(*mounts, cgroup_parent_);
}

absl::StatusOr<std::unique_ptr<RunnerStack>> RunnerStack::Create(
    RunnerStackOptions options, cache::BlobStore* blobs,
    cache::ActionCache* actions) {
  if (options.root.empty() || options.root[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("worker root must be absolute: \"", options.root, "\""));
  }
  auto stack = std::unique_ptr<RunnerStack>(new RunnerStack);
  // Other local users have no business in here: layers hold what builds
  // made, setuid programs and device nodes included.
  RETURN_IF_ERROR(MakeDirs(options.root, 0700));
  const std::string lock = JoinPath(options.root, "lock");
  stack->lock_ = ScopedFd(
      open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (stack->lock_.get() < 0) return ErrnoStatus(errno, "opening " + lock);
  const absl::Time give_up = absl::Now() + options.root_lock_wait;
  while (flock(stack->lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return ErrnoStatus(errno, "locking " + lock);
    if (absl::Now() >= give_up) {
      return absl::UnavailableError(absl::StrCat(
          "worker root ", options.root, " is in use by another process"));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSIGN_OR_RETURN(stack->cgroup_parent_,
                   executor::CgroupParentForRoot(options.root));
  stack->cgroup_lease_ =
      executor::CgroupParentLease::Take(stack->cgroup_parent_);
  // Before anything else on the root: what a previous process left
  // running or mounted there.
  executor::LeftoverScope leftovers;
  leftovers.runc = options.runc;
  leftovers.runc_root = JoinPath(options.root, "executor/runc");
  leftovers.cgroup_parent = stack->cgroup_parent_;
  leftovers.mount_root = options.root;
  if (absl::Status status = executor::CleanLeftovers(leftovers); !status.ok()) {
    FARM_LOG(ERROR) << "cleaning up after a previous run on " << options.root
                    << ": " << status;
  }
  RETURN_IF_ERROR(RemoveAll(JoinPath(options.root, "executor/bundles")));
  snapshot::SnapshotStoreOptions snapshot_options;
  snapshot_options.root = JoinPath(options.root, "snapshots");
  snapshot_options.max_bytes = options.snapshot_max_bytes;
  ASSIGN_OR_RETURN(stack->snapshots_,
                   snapshot::SnapshotStore::Open(snapshot_options, blobs));
  executor::Executor* executor = options.executor;
  if (executor == nullptr) {
    ASSIGN_OR_RETURN(stack->runc_, MakeRunc(options, stack->cgroup_parent_));
    executor = stack->runc_.get();
  }
  if (options.cache_mount_pointers != nullptr &&
      options.cache_mount_max_bytes > 0) {
    CacheMountSyncOptions sync_options;
    sync_options.max_bytes = options.cache_mount_max_bytes;
    sync_options.scratch_dir = JoinPath(options.root, "scratch/cache-mounts");
    stack->cache_mount_sync_ = std::make_unique<CacheMountSync>(
        options.cache_mount_pointers, blobs, sync_options);
  }
  stack->cache_mounts_ = std::make_unique<CacheMounts>(
      JoinPath(options.root, "cache-mounts"), stack->cache_mount_sync_.get());
  ContextMirrorsOptions mirror_options;
  mirror_options.root = JoinPath(options.root, "contexts");
  mirror_options.max_mirrors = options.context_mirrors;
  mirror_options.max_bytes = options.context_mirror_max_bytes;
  ASSIGN_OR_RETURN(stack->context_mirrors_,
                   ContextMirrors::Open(std::move(mirror_options)));

  StageRunnerEnv env;
  env.blobs = blobs;
  env.actions = actions;
  env.snapshots = stack->snapshots_.get();
  env.executor = executor;
  env.cache_mounts = stack->cache_mounts_.get();
  env.context_mirrors = stack->context_mirrors_.get();
  env.scratch_dir = JoinPath(options.root, "scratch");
  env.source_date_epoch = options.source_date_epoch;
  env.run_limits = options.run_limits;
  FARM_LOG(INFO) << "RUN limits: " << executor::DescribeLimits(env.run_limits)
                 << "; cgroups under " << stack->cgroup_parent_;
  // What a crashed worker left behind is of no use to anyone.
  RETURN_IF_ERROR(RemoveAll(env.scratch_dir));
  RETURN_IF_ERROR(MakeDirs(env.scratch_dir, 0700));
  stack->runner_ = std::make_unique<StageRunner>(std::move(env));
  return stack;
}

}  // namespace farm::worker
