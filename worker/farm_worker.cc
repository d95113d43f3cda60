#include "worker/farm_worker.h"

#include "absl/strings/str_cat.h"
#include "cache/remote/remote_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/layer/layer_writer.h"
#include "worker/cache_mounts.h"
#include "worker/executor/runc_executor.h"
#include "worker/grpc_worker_stream.h"
#include "worker/snapshot/snapshot_store.h"
#include "worker/stage_runner.h"

namespace farm::worker {

// Declared in the order they are built; destroyed in reverse.
struct FarmWorker::Parts {
  std::unique_ptr<cache::RemoteBlobStore> blobs;
  std::unique_ptr<cache::RemoteActionCache> actions;
  std::unique_ptr<snapshot::SnapshotStore> snapshots;
  std::unique_ptr<executor::RuncExecutor> executor;
  std::unique_ptr<CacheMounts> cache_mounts;
  std::unique_ptr<StageRunner> runner;
  std::unique_ptr<GrpcWorkerConnector> connector;
  std::unique_ptr<Agent> agent;
};

absl::StatusOr<std::unique_ptr<FarmWorker>> FarmWorker::Create(
    std::shared_ptr<grpc::Channel> channel, FarmWorkerOptions options) {
  if (options.root.empty() || options.root[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("worker root must be absolute: \"", options.root, "\""));
  }
  auto parts = std::make_unique<Parts>();
  parts->blobs = std::make_unique<cache::RemoteBlobStore>(channel);
  parts->actions = std::make_unique<cache::RemoteActionCache>(channel);

  snapshot::SnapshotStoreOptions snapshot_options;
  snapshot_options.root = JoinPath(options.root, "snapshots");
  snapshot_options.max_bytes = options.snapshot_max_bytes;
  ASSIGN_OR_RETURN(parts->snapshots, snapshot::SnapshotStore::Open(
                                         snapshot_options, parts->blobs.get()));
  executor::RuncExecutor::Options executor_options;
  executor_options.state_dir = JoinPath(options.root, "executor");
  executor_options.runc = options.runc;
  // Docker leaves empty /proc, /dev and /sys in the first RUN layer of a
  // base that lacks them; so does farm (tests/compat run-bare-base).
  executor_options.remove_system_stubs = false;
  ASSIGN_OR_RETURN(parts->executor,
                   executor::RuncExecutor::Create(executor_options));
  parts->cache_mounts =
      std::make_unique<CacheMounts>(JoinPath(options.root, "cache-mounts"));

  StageRunnerEnv env;
  env.blobs = parts->blobs.get();
  env.actions = parts->actions.get();
  env.snapshots = parts->snapshots.get();
  env.executor = parts->executor.get();
  env.cache_mounts = parts->cache_mounts.get();
  env.scratch_dir = JoinPath(options.root, "scratch");
  env.source_date_epoch = image::layer::SourceDateEpochFromEnv();
  // What a crashed worker left behind is of no use to anyone.
  RETURN_IF_ERROR(RemoveAll(env.scratch_dir));
  RETURN_IF_ERROR(MakeDirs(env.scratch_dir, 0700));
  parts->runner = std::make_unique<StageRunner>(std::move(env));

  parts->connector = std::make_unique<GrpcWorkerConnector>(channel);
  AgentOptions agent_options;
  agent_options.worker_id = options.worker_id;
  agent_options.slots = options.slots;
  agent_options.min_backoff = options.min_backoff;
  agent_options.max_backoff = options.max_backoff;
  snapshot::SnapshotStore* store = parts->snapshots.get();
  parts->agent = std::make_unique<Agent>(agent_options, parts->connector.get(),
                                         parts->runner.get(),
                                         [store] { return store->Summary(); });
  return std::unique_ptr<FarmWorker>(new FarmWorker(std::move(parts)));
}

FarmWorker::FarmWorker(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)), agent_(parts_->agent.get()) {}

FarmWorker::~FarmWorker() { Stop(); }

absl::Status FarmWorker::Run() { return agent_->Run(); }

void FarmWorker::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    absl::Status status = agent_->Run();
    if (!status.ok()) FARM_LOG(ERROR) << "worker: " << status;
  });
}

void FarmWorker::Drain() { agent_->Drain(); }

void FarmWorker::Stop() {
  agent_->Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace farm::worker
