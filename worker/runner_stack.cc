#include "worker/runner_stack.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::worker {

absl::StatusOr<std::unique_ptr<RunnerStack>> RunnerStack::Create(
    RunnerStackOptions options, cache::BlobStore* blobs,
    cache::ActionCache* actions) {
  if (options.root.empty() || options.root[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("worker root must be absolute: \"", options.root, "\""));
  }
  auto stack = std::unique_ptr<RunnerStack>(new RunnerStack);
  snapshot::SnapshotStoreOptions snapshot_options;
  snapshot_options.root = JoinPath(options.root, "snapshots");
  snapshot_options.max_bytes = options.snapshot_max_bytes;
  ASSIGN_OR_RETURN(stack->snapshots_,
                   snapshot::SnapshotStore::Open(snapshot_options, blobs));
  executor::RuncExecutor::Options executor_options;
  executor_options.state_dir = JoinPath(options.root, "executor");
  executor_options.runc = options.runc;
  // Docker leaves empty /proc, /dev and /sys in the first RUN layer of a
  // base that lacks them; so does farm (tests/compat run-bare-base).
  executor_options.remove_system_stubs = false;
  ASSIGN_OR_RETURN(stack->executor_,
                   executor::RuncExecutor::Create(executor_options));
  stack->cache_mounts_ =
      std::make_unique<CacheMounts>(JoinPath(options.root, "cache-mounts"));
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
  env.executor = stack->executor_.get();
  env.cache_mounts = stack->cache_mounts_.get();
  env.context_mirrors = stack->context_mirrors_.get();
  env.scratch_dir = JoinPath(options.root, "scratch");
  env.source_date_epoch = options.source_date_epoch;
  // What a crashed worker left behind is of no use to anyone.
  RETURN_IF_ERROR(RemoveAll(env.scratch_dir));
  RETURN_IF_ERROR(MakeDirs(env.scratch_dir, 0700));
  stack->runner_ = std::make_unique<StageRunner>(std::move(env));
  return stack;
}

}  // namespace farm::worker
