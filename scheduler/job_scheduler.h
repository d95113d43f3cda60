// JobScheduler: the farm-wide queue of stage jobs and the pool of workers
// that run them, as a state machine. Identical jobs (same final cache key)
// run once however many builds wait on them; a job goes to a worker that
// runs its platform (natively, else by emulation after a wait, failing at
// once when no connected worker runs it; one queue per platform), one that
// already holds its base layers, else the least loaded one (a job that mounts
// a cache prefers the worker its cache hashes to, WorkerPool::Preferred, and
// waits a little for it when it is busy); workers hold
// leases renewed by heartbeats, and a job whose worker is lost is re-queued
// until it has cost JobSchedulerOptions::max_attempts workers. A job a worker
// reports as failed is finished with that error and never re-queued: the job's
// own failures (a RUN's exit code, kResourceExhausted for a RUN killed at a
// limit) would fail the same on any worker. Workers that are draining or whose
// disk is full get no jobs. No threads, no sockets: the service feeds it events
// and carries out the actions it returns. No event scans the queue or the pool:
// jobs are indexed by id and by build, and placement uses WorkerPool's indexes,
// so a dispatch costs about the same with 10 or 10,000 jobs queued.
//
// A worker that registers with kept jobs (it went on running them while it
// had no scheduler: a failover, or a dropped stream) has them adopted: a job
// a build already waits on is finished where it runs, under the worker's
// job id, rather than queued again (a copy dispatched meanwhile is
// cancelled); one nobody waits on yet is held for
// JobSchedulerOptions::adopt_wait, for a resumed build to claim, then
// cancelled. Jobs that mount a cache are not adopted: their cache grant
// lapsed with the connection. An adopted job that fails kUnavailable (it
// could not reach the cache while it had no scheduler) is retried like a
// job whose worker was lost.
#ifndef FARM_SCHEDULER_JOB_SCHEDULER_H_
#define FARM_SCHEDULER_JOB_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/digest.h"
#include "proto/worker.pb.h"
#include "scheduler/worker_pool.h"

namespace farm::scheduler {

// A build waiting on a job, and which of its stages the job is.
struct Waiter {
  std::string build_id;
  int stage = 0;
  friend bool operator<(const Waiter& a, const Waiter& b) {
    return std::tie(a.build_id, a.stage) < std::tie(b.build_id, b.stage);
  }
};

struct AssignJob {
  std::string worker_id;
  proto::StageJob job;
};
struct CancelOnWorker {
  std::string worker_id;
  std::string job_id;
  std::string reason;
};
// A job ended; tell every waiter.
struct JobDone {
  std::vector<Waiter> waiters;
  absl::Status status;
  proto::StageOutput output;
  std::string worker_id;
  // From its assignment to the result, when a worker ran it to its end
  // (not for a job failed while queued or given up after lost workers).
  std::optional<absl::Duration> ran_for;
};
// Progress of a job, for every waiter.
struct RelayEvent {
  std::vector<Waiter> waiters;
  proto::BuildEvent event;
};
using SchedulerAction =
    std::variant<AssignJob, CancelOnWorker, JobDone, RelayEvent>;

struct JobSchedulerOptions {
  absl::Duration lease = absl::Seconds(10);
  int max_attempts = 3;
  // How long a job waits for a free worker that runs its platform natively
  // before one that emulates it takes it. Without any native worker for the
  // platform, emulation is used at once.
  absl::Duration emulation_wait = absl::Seconds(10);
  // How long a job that mounts a cache may wait, from when it was queued,
  // for the worker its cache belongs to while that worker is busy; after
  // it, another worker takes the job and restores the cache's newest
  // generation. Other jobs are placed meanwhile.
  absl::Duration cache_mount_wait = absl::Seconds(3);
  // How long a job a worker kept, that no build waits on yet, runs on for
  // a build the new leader resumes to claim it.
  absl::Duration adopt_wait = absl::Seconds(30);
  // Job ids are this prefix and a counter. Each scheduler of a group needs
  // its own: a worker's kept job keeps the id its old leader gave it.
  std::string job_id_prefix = "job-";
};

// The pool at one moment, cheaply: no worker's layers are copied.
struct PoolLoad {
  int64_t workers = 0;
  int64_t draining = 0;
  int64_t slots = 0;
  int64_t busy_slots = 0;  // jobs running
};

class JobScheduler {
 public:
  explicit JobScheduler(Clock* clock, JobSchedulerOptions options = {})
      : clock_(clock), options_(options) {}

  // A build needs `job` for its stage `stage`. Joins an identical job in
  // flight (same last key and no_cache) or queues a new one.
  std::vector<SchedulerAction> Submit(const Waiter& waiter,
                                      proto::StageJob job);
  // The build no longer waits (it failed, finished or its client left).
  // Jobs nobody else waits on are cancelled.
  std::vector<SchedulerAction> Abandon(const std::string& build_id);

  std::vector<SchedulerAction> WorkerJoined(const proto::RegisterWorker& reg);
  std::vector<SchedulerAction> WorkerHeartbeat(const std::string& worker_id,
                                               const proto::Heartbeat& beat);
  // The worker's stream ended or its lease ran out: its jobs go back to the
  // queue, or fail (kUnavailable) once they have had max_attempts workers.
  std::vector<SchedulerAction> WorkerLost(const std::string& worker_id,
                                          const std::string& reason);
  std::vector<SchedulerAction> JobEventFrom(const std::string& worker_id,
                                            const proto::JobEvent& event);
  std::vector<SchedulerAction> JobResultFrom(const std::string& worker_id,
                                             const proto::JobResult& result);
  // Expires leases, and cancels kept jobs nobody claimed in time.
  std::vector<SchedulerAction> Tick();
  // Fails every job that no worker has taken yet with `status` (the only
  // worker that could come will not).
  std::vector<SchedulerAction> FailQueued(const absl::Status& status);

  // A copy of every worker, by id; pool() reads them without copying.
  std::vector<WorkerState> Workers() const;
  const WorkerPool& pool() const { return pool_; }
  PoolLoad Load() const;
  const proto::SchedulerStats& stats() const { return stats_; }
  proto::SchedulerStats& mutable_stats() { return stats_; }
  size_t queued() const { return queued_; }
  // Jobs a worker is running now: every job not queued.
  size_t running() const { return jobs_.size() - queued_; }
  bool HasWorker(const std::string& worker_id) const {
    return pool_.workers().count(worker_id) > 0;
  }

 private:
  struct Job {
    std::string id;
    std::string dedup_key;
    proto::StageJob spec;
    std::set<Waiter> waiters;
    std::string worker;   // "" while queued
    absl::Time assigned;  // when `worker` got it
    int attempts = 0;
    std::string last_loss;
    bool queued = false;
    std::list<Job*>::iterator queue_pos;   // valid while queued
    std::string platform;                  // spec.platform, or linux/amd64
    absl::Time first_queued;               // when it was first queued
    std::optional<Digest> cache_affinity;  // CacheMountAffinity(spec)
    // A worker's kept job that no build has claimed yet, and until when it
    // may wait for one; its result, when it ended ok meanwhile.
    // Taken over from a worker's kept run: its failure may be the gap
    // without a scheduler (a layer it could not store), not its own.
    bool adopted = false;
    bool unclaimed = false;
    absl::Time unclaimed_until;
    std::optional<proto::StageOutput> held_output;
  };

  // Assigns queued jobs to free workers, oldest job first within each
  // platform's queue, so a platform without a free worker holds up no other.
  void Dispatch(std::vector<SchedulerAction>& out);
  // Assigns the jobs at the front of `queue` until one cannot be placed,
  // stepping over jobs that wait for their cache's worker.
  void DispatchQueue(std::list<Job*>& queue, std::vector<SchedulerAction>& out);
  // The worker to run `job` now, or nullptr to keep it queued. Fails the job
  // (and returns nullptr) when no connected worker runs its platform. Sets
  // `waits_for_cache` when the job waits for its cache's worker while
  // others are free, so the jobs behind it may still be placed.
  WorkerState* Place(Job& job, std::vector<SchedulerAction>& out,
                     bool* waits_for_cache);
  // Its cache's worker when that is free; else nullptr, with
  // `waits_for_cache` set while the job should wait for it.
  WorkerState* PlaceByCache(const Job& job, bool* waits_for_cache);
  void Assign(Job& job, WorkerState& worker, std::vector<SchedulerAction>& out);
  // A job goes to the back of the queue, or to its front when it is retried.
  void Enqueue(Job& job, bool front);
  void Dequeue(Job& job);
  void Finish(Job& job, absl::Status status, proto::StageOutput output,
              std::vector<SchedulerAction>& out);
  std::vector<Waiter> WaiterList(const Job& job) const;
  // WorkerLost without the dispatch that follows it.
  void LoseWorker(const std::string& worker_id, const std::string& reason,
                  std::vector<SchedulerAction>& out);
  // A job `worker` kept running without a scheduler (job_adoption.cc).
  void KeepJob(WorkerState& worker, const proto::StageJob& kept,
               std::vector<SchedulerAction>& out);
  // A build submitted a job that a worker kept: it waits on that run.
  void Claim(Job& job, const Waiter& waiter, proto::StageJob spec,
             std::vector<SchedulerAction>& out);
  // Moves `job`, which a build waits on, to the id and worker of a kept
  // run of it; cancels the copy it had elsewhere.
  void MoveToKeptRun(Job& job, WorkerState& worker, const std::string& id,
                     std::vector<SchedulerAction>& out);
  // Cancels kept jobs whose adopt_wait is over.
  void ExpireUnclaimed(std::vector<SchedulerAction>& out);
  // Drops a job nobody waits on, cancelling it where it runs.
  void Drop(Job& job, const std::string& reason,
            std::vector<SchedulerAction>& out);
  // Queues `job` again after its worker failed it or was lost; false when
  // it has used up its attempts and was finished with an error.
  bool Retry(Job& job, std::vector<SchedulerAction>& out);

  Clock* clock_;
  JobSchedulerOptions options_;
  uint64_t next_job_ = 1;
  absl::node_hash_map<std::string, Job> jobs_;            // by id; never move
  absl::flat_hash_map<std::string, std::string> by_key_;  // dedup key → id
  // build id → the ids of the jobs it waits on, in the order Abandon
  // cancels them.
  absl::flat_hash_map<std::string, std::set<std::string>> by_build_;
  // Queued jobs by platform, oldest first; retried jobs go to the front.
  std::map<std::string, std::list<Job*>> queues_;
  size_t queued_ = 0;
  // Ids of the kept jobs no build has claimed yet.
  std::set<std::string> unclaimed_;
  WorkerPool pool_;
  proto::SchedulerStats stats_;
  // Keys of stats_.runs_by_stage_key, oldest first: only the newest
  // kStageKeysKept are kept, so a long-lived scheduler's stats stay small.
  std::deque<std::string> stage_key_order_;
};

// Jobs with the same key are the same work: a build joins a job in flight
// with the same key instead of queueing its own. The last instruction's
// cache key, and what else decides the job's outcome.
std::string JobDedupKey(const proto::StageJob& job);

// How many jobs waiting for their cache's worker one dispatch steps over
// before it stops, so a long queue of them costs a bounded walk.
inline constexpr int kMaxCacheWaitersSkipped = 32;

// How many stage keys SchedulerStats.runs_by_stage_key holds at most.
inline constexpr size_t kStageKeysKept = 10000;

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_JOB_SCHEDULER_H_
