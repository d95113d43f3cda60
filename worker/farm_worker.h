// FarmWorker: everything one worker runs, wired together over one channel
// to the scheduler (which serves the WorkerService and the CacheService):
// the remote CAS and action cache, the snapshot store, runc, the stage
// runner and the agent. farm-worker runs one per process; the embedded farm
// runs one inside `farm` over an in-process channel.
#ifndef FARM_WORKER_FARM_WORKER_H_
#define FARM_WORKER_FARM_WORKER_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/blob_store.h"
#include "worker/agent.h"
#include "worker/disk_reserve.h"
#include "worker/executor/executor.h"
#include "worker/job_runner.h"
#include "worker/worker_load.h"

namespace farm::worker {

struct FarmWorkerOptions {
  // The worker's own state: <root>/snapshots, executor, cache-mounts and
  // scratch (emptied at start). Created 0700; what a previous run on it
  // left (containers, cgroups, mounts) is removed at start.
  std::string root;
  int slots = 1;
  std::string worker_id;  // "" means <hostname>-<pid>
  // Bytes of unused unpacked layers the snapshot store keeps; 0: no limit.
  uint64_t snapshot_max_bytes = uint64_t{10} << 30;
  std::string runc = "runc";
  // The limits of each RUN; a build's own can only lower them. None here;
  // farm-worker's flags default to executor::DefaultRunLimits().
  executor::ResourceLimits run_limits;
  // With less free disk than this on the root's filesystem the worker takes
  // no jobs (farm-worker --min-free-disk, default 5%). None here.
  DiskReserve min_free_disk;
  // See RunnerStackOptions::root_lock_wait.
  absl::Duration root_lock_wait = absl::Seconds(10);
  // See AgentOptions::on_drain.
  std::function<void()> on_drain;
  // Wraps the stage runner the agent hands each job to (farm-worker's
  // metrics count and time the jobs, worker/worker_metrics.h); the wrapper
  // lives as long as the worker. Null: the runner as it is.
  std::function<std::unique_ptr<JobRunner>(JobRunner* runner)> wrap_runner;
  // The farm's own blob store when it lives in this process (the embedded
  // farm), used instead of the channel's: layers are then stored without
  // streaming them through gRPC, and big ones are renamed into it. Not
  // owned; must outlive the worker. Null: the channel's.
  cache::BlobStore* blobs = nullptr;
  // Restricts the platforms the worker offers to these
  // ("linux/amd64,linux/arm64"; farm-worker --platforms); "" offers every
  // one it detects: its own and what binfmt_dir emulates.
  std::string platforms;
  std::string binfmt_dir = "/proc/sys/fs/binfmt_misc";
  // Cache mounts holding up to this many bytes of files are shared with the
  // other workers through the scheduler: restored before a RUN uses one this
  // worker lacks the newest generation of, published after each job that
  // changed one and when draining (docs/worker.md). Larger ones stay here.
  // 0 keeps every cache mount on this worker (the embedded farm, whose one
  // worker has nobody to share with); farm-worker's default is 1 GiB.
  uint64_t cache_mount_max_bytes = 0;
  // How long each reconnect first waits for the channel to connect
  // (GrpcWorkerConnector::connect_wait). Zero for an in-process channel.
  absl::Duration connect_wait = absl::Seconds(2);
  // Reconnect backoff of the agent: short, so that a worker finds the
  // scheduler that took over within seconds (a failed dial costs little).
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(2);
  // How long running jobs go on while no scheduler is connected, so that
  // the one the worker registers with next (the standby that took over)
  // can adopt them (AgentOptions::keep_jobs; farm-worker
  // --keep-jobs-seconds). Zero cancels them when the stream ends.
  absl::Duration keep_jobs = absl::Seconds(30);
};

class FarmWorker {
 public:
  // Opens the worker's state under options.root (kInvalidArgument for a
  // relative root; the snapshot store's and executor's errors otherwise).
  // Nothing is contacted until Run or Start.
  static absl::StatusOr<std::unique_ptr<FarmWorker>> Create(
      std::shared_ptr<grpc::Channel> channel, FarmWorkerOptions options);
  // Stops and joins a thread Start made.
  ~FarmWorker();

  // Serves the scheduler until Stop, or until a Drain has finished the
  // running jobs (farm-worker's main loop).
  absl::Status Run();
  // Run on a thread of its own (the embedded farm).
  void Start();
  // See Agent::Drain and Agent::Stop. Stop also joins Start's thread.
  void Drain();
  void Stop();

  const std::string& worker_id() const { return agent_->worker_id(); }
  // Its slots, the jobs running, and its snapshot store. Thread-safe.
  WorkerLoad Load() const;

 private:
  struct Parts;
  explicit FarmWorker(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
  Agent* agent_;
  std::thread thread_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_FARM_WORKER_H_
