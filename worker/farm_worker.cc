#include "worker/farm_worker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cache/remote/remote_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/layer/layer_writer.h"
#include "worker/grpc_worker_stream.h"
#include "worker/platforms.h"
#include "worker/runner_stack.h"

namespace farm::worker {

// Declared in the order they are built; destroyed in reverse.
struct FarmWorker::Parts {
  std::unique_ptr<cache::RemoteBlobStore> blobs;
  std::unique_ptr<cache::RemoteActionCache> actions;
  std::unique_ptr<GrpcCacheMountPointerClient> cache_mount_pointers;
  std::unique_ptr<RunnerStack> stack;
  std::unique_ptr<JobRunner> wrapped_runner;  // FarmWorkerOptions::wrap_runner
  std::unique_ptr<GrpcWorkerConnector> connector;
  int slots = 1;
  std::unique_ptr<Agent> agent;
};

absl::StatusOr<std::unique_ptr<FarmWorker>> FarmWorker::Create(
    std::shared_ptr<grpc::Channel> channel, FarmWorkerOptions options) {
  auto parts = std::make_unique<Parts>();
  parts->blobs = std::make_unique<cache::RemoteBlobStore>(channel);
  parts->actions = std::make_unique<cache::RemoteActionCache>(channel);
  RunnerStackOptions stack_options;
  stack_options.root = options.root;
  stack_options.snapshot_max_bytes = options.snapshot_max_bytes;
  stack_options.runc = options.runc;
  stack_options.source_date_epoch = image::layer::SourceDateEpochFromEnv();
  stack_options.run_limits = options.run_limits;
  stack_options.root_lock_wait = options.root_lock_wait;
  parts->cache_mount_pointers =
      std::make_unique<GrpcCacheMountPointerClient>(channel);
  stack_options.cache_mount_pointers = parts->cache_mount_pointers.get();
  stack_options.cache_mount_max_bytes = options.cache_mount_max_bytes;
  ASSIGN_OR_RETURN(parts->stack, RunnerStack::Create(stack_options,
                                                     options.blobs != nullptr
                                                         ? options.blobs
                                                         : parts->blobs.get(),
                                                     parts->actions.get()));

  WorkerPlatforms platforms = DetectPlatforms(options.binfmt_dir);
  if (!options.platforms.empty()) {
    ASSIGN_OR_RETURN(platforms,
                     RestrictPlatforms(platforms, options.platforms));
  }
  parts->connector = std::make_unique<GrpcWorkerConnector>(channel);
  parts->connector->connect_wait = options.connect_wait;
  AgentOptions agent_options;
  agent_options.native_platforms = platforms.native;
  agent_options.emulated_platforms = platforms.emulated;
  agent_options.worker_id = options.worker_id;
  agent_options.slots = options.slots;
  agent_options.min_backoff = options.min_backoff;
  agent_options.max_backoff = options.max_backoff;
  agent_options.keep_jobs = options.keep_jobs;
  agent_options.on_drain = options.on_drain;
  if (options.cache_mount_max_bytes > 0) {
    CacheMounts* mounts = &parts->stack->cache_mounts();
    agent_options.after_job = [mounts](const executor::Cancellation& cancel) {
      mounts->PublishIdle(cancel);
    };
  }
  agent_options.disk = [root = options.root, reserve = options.min_free_disk] {
    absl::StatusOr<DiskSpace> space = StatDisk(root);
    if (!space.ok()) return DiskReport();
    return DiskReport{BelowReserve(*space, reserve),
                      static_cast<int64_t>(space->free_bytes)};
  };
  snapshot::SnapshotStore* store = &parts->stack->snapshots();
  JobRunner* runner = &parts->stack->runner();
  if (options.wrap_runner) {
    parts->wrapped_runner = options.wrap_runner(runner);
    runner = parts->wrapped_runner.get();
  }
  parts->slots = std::max(1, options.slots);
  parts->agent =
      std::make_unique<Agent>(agent_options, parts->connector.get(), runner,
                              [store] { return store->Summary(); });
  return std::unique_ptr<FarmWorker>(new FarmWorker(std::move(parts)));
}

FarmWorker::FarmWorker(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)), agent_(parts_->agent.get()) {}

FarmWorker::~FarmWorker() { Stop(); }

absl::Status FarmWorker::Run() {
  absl::Status status = agent_->Run();
  // No job runs any more: leave no empty cgroups behind either.
  if (absl::Status removed = parts_->stack->RemoveCgroups(); !removed.ok()) {
    FARM_LOG(WARNING) << "removing the RUN cgroups: " << removed;
  }
  return status;
}

void FarmWorker::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    absl::Status status = agent_->Run();
    if (!status.ok()) {
      FARM_LOG(ERROR) << "worker: " << status;
    }
  });
}

WorkerLoad FarmWorker::Load() const {
  snapshot::StoreSummary summary = parts_->stack->snapshots().Summary();
  WorkerLoad load;
  load.slots = parts_->slots;
  load.busy_slots = agent_->running();
  load.snapshot_bytes = summary.bytes;
  load.snapshot_layers = static_cast<int64_t>(summary.diff_ids.size());
  return load;
}

void FarmWorker::Drain() { agent_->Drain(); }

void FarmWorker::Stop() {
  agent_->Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace farm::worker
