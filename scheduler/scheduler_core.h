// SchedulerCore: the farm-wide hub that the Build and Worker services share.
// It holds the JobScheduler behind one mutex, the outbound queue of every
// connected worker, and the builds waiting on jobs, and routes job results
// and progress to those builds. Routing never blocks: listeners queue.
#ifndef FARM_SCHEDULER_SCHEDULER_CORE_H_
#define FARM_SCHEDULER_SCHEDULER_CORE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/blocking_queue.h"
#include "common/clock.h"
#include "proto/worker.pb.h"
#include "scheduler/cache_mount_grants.h"
#include "scheduler/job_scheduler.h"
#include "scheduler/scheduler_observer.h"

namespace farm::scheduler {

// What a build hears about the jobs it waits on. Called with the core's
// lock held: implementations must only queue.
class BuildListener {
 public:
  virtual ~BuildListener() = default;
  virtual void OnJobDone(int stage, const absl::Status& status,
                         const proto::StageOutput& output) = 0;
  virtual void OnJobEvent(int stage, const proto::BuildEvent& event) = 0;
};

using WorkerOutbox = BlockingQueue<proto::SchedulerMessage>;

// The farm at one moment, for metrics: what is queued and running now, and
// the counters so far.
struct CoreSnapshot {
  int64_t jobs_queued = 0;
  int64_t jobs_running = 0;
  int64_t builds_running = 0;
  PoolLoad pool;
  // Without runs_by_stage_key, which only `farm stats` shows.
  proto::SchedulerStats counters;
};

class SchedulerCore {
 public:
  SchedulerCore(Clock* clock, JobSchedulerOptions options,
                int max_slots_per_worker = 64);

  // Builds. `listener` must stay valid until UnregisterBuild.
  void RegisterBuild(const std::string& build_id, BuildListener* listener);
  // Also abandons the build's jobs: those nobody else waits on stop.
  void UnregisterBuild(const std::string& build_id);
  void Submit(const std::string& build_id, int stage, proto::StageJob job);

  // Workers. The returned outbox carries what to send to the worker; it is
  // closed when the worker is dropped. kAlreadyExists while a worker of
  // the same id is connected: a second registration never evicts a live
  // worker (its lease must lapse first). Slots beyond
  // max_slots_per_worker are not used.
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> WorkerJoined(
      proto::RegisterWorker reg);
  void FromWorker(const std::string& worker_id,
                  const proto::WorkerMessage& message);
  // `outbox` says which connection ended: a worker that already reconnected
  // on a new stream is not lost.
  void WorkerLost(const std::string& worker_id, const std::string& reason,
                  const WorkerOutbox* outbox = nullptr);
  // Ends every worker's stream and sends nothing more to any: a leader
  // that resigned leaves the workers' jobs to the next one, which adopts
  // them, and must not cancel them on its way out.
  void CloseWorkerStreams();
  // Asks a connected worker to drain; kNotFound for an unknown id.
  absl::Status DrainWorker(const std::string& worker_id);
  // Called, with the core's lock held (it may only signal), when a job is
  // queued while no worker is connected: the embedded farm starts its
  // worker then, so that a fully cached build never starts one.
  void SetWorkWithoutWorkersHandler(std::function<void()> handler);
  // Fails every job no worker has taken (a worker that was to come could
  // not start).
  void FailQueuedJobs(const absl::Status& status);
  // Expires leases; call about once a second.
  void Tick();

  proto::ListWorkersResponse ListWorkers();
  proto::SchedulerStats Stats();
  CoreSnapshot Snapshot();
  // Counts a finished build in the exported stats, and tells the observer.
  void BuildFinished(const BuildEnd& build);
  // `observer` (null: none) hears of every build and stage that ends from
  // now on; it must stay valid until replaced.
  void SetObserver(SchedulerObserver* observer);
  absl::Duration lease() const { return options_.lease; }
  // The grants that jobs mounting a cache carry to their workers; a worker's
  // lapse when it is dropped.
  CacheMountGrants* cache_mount_grants() { return &grants_; }

 private:
  void Execute(std::vector<SchedulerAction> actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* clock_;
  JobSchedulerOptions options_;
  const int max_slots_per_worker_;
  absl::Mutex mu_;
  JobScheduler jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<WorkerOutbox>> outboxes_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, BuildListener*> builds_ ABSL_GUARDED_BY(mu_);
  std::function<void()> work_without_workers_ ABSL_GUARDED_BY(mu_);
  SchedulerObserver* observer_ ABSL_GUARDED_BY(mu_) = nullptr;
  CacheMountGrants grants_;  // thread-safe on its own
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SCHEDULER_CORE_H_
