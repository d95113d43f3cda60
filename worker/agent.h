// Agent: a worker's side of the scheduler protocol (proto/worker.proto). It
// dials out (the scheduler never dials a worker), registers its id, slots
// and the layers its snapshot store holds, runs every assigned job on a
// thread of its own, streams the jobs' events and results back, sends
// heartbeats at the interval the scheduler asks for (saying too when its
// disk is too full to take jobs), reconnects with exponential backoff when
// the stream drops, and drains on request.
#ifndef FARM_WORKER_AGENT_H_
#define FARM_WORKER_AGENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "worker/executor/cancellation.h"
#include "worker/job_runner.h"
#include "worker/snapshot/snapshot_store.h"
#include "worker/worker_stream.h"

namespace farm::worker {

// What the agent says about the disk under the worker's root.
struct DiskReport {
  bool full = false;  // below the reserve: take no jobs
  int64_t free_bytes = 0;
};

struct AgentOptions {
  // "" means <hostname>-<pid>.
  std::string worker_id;
  int slots = 1;
  std::string version = "farm-worker";
  // The platforms it runs stages for (worker/platforms.h); none sent means
  // linux/amd64 to the scheduler.
  std::vector<std::string> native_platforms;
  std::vector<std::string> emulated_platforms;
  // Heartbeat interval until the scheduler's Registered message sets one.
  absl::Duration heartbeat = absl::Seconds(3);
  // Reconnect delays: doubled after every failed attempt, up to the max,
  // back to the min once a connection registers.
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // Checks the disk (DiskReserve) for each registration and heartbeat, and
  // after each job; a change from or to full is sent at once, before the
  // job's result. Null: never full.
  std::function<DiskReport()> disk;
  // Called once, without the agent's lock, when a drain begins (a signal
  // or the scheduler's request): farm-worker's health turns NOT_SERVING.
  std::function<void()> on_drain;
  // What a job leaves to do after its result (farm-worker publishes the
  // cache mounts it changed): run on the job's thread once the result is
  // sent, so the build does not wait, and once more on a thread of its own
  // when a drain begins. A drain ends only after every run, with heartbeats
  // going on meanwhile; `cancel` fires on Stop. Null: nothing.
  std::function<void(const executor::Cancellation& cancel)> after_job;
  // Times heartbeats and reconnect backoff; tests pass a SimulatedClock.
  // Not owned.
  Clock* clock = RealClock::Get();
};

// <hostname>-<pid>.
std::string DefaultWorkerId();

// Thread-safe.
class Agent {
 public:
  // What the agent reports about its snapshot store.
  using SummaryFn = std::function<snapshot::StoreSummary()>;

  // `connector` and `runner` are not owned and must outlive the agent.
  // `summary` may be null (no layers, no bytes).
  Agent(AgentOptions options, WorkerConnector* connector, JobRunner* runner,
        SummaryFn summary);
  // Stops (as Stop) if still running.
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Serves until Stop(), or until a Drain() has seen every running job
  // finish and report. Returns OK in both cases.
  absl::Status Run();

  // Finishes the jobs in hand and takes no new ones: the scheduler hears
  // draining=true at once, then the agent ends when its last job is done.
  // Jobs assigned meanwhile (the scheduler had not heard yet) still run.
  void Drain();
  // Ends now: running jobs are cancelled (the scheduler re-queues them) and
  // Run returns once they have stopped.
  void Stop();

  const std::string& worker_id() const { return options_.worker_id; }
  // Jobs running now.
  int running() const;

 private:
  struct Session;
  struct Job {
    proto::StageJob spec;
    std::unique_ptr<executor::Cancellation> cancel;
  };

  // One connection: registers, reads assignments until the stream ends, a
  // Stop, or a finished drain. True when it registered.
  bool Serve(std::unique_ptr<WorkerStream> stream);
  void Heartbeats(Session* session);
  proto::Heartbeat MakeHeartbeat() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Asks options_.disk, logs a change from or to full and remembers it.
  DiskReport CheckDisk() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartJob(std::shared_ptr<Session> session, proto::StageJob job);
  void RunJob(std::shared_ptr<Session> session, std::string job_id,
              uint64_t serial);
  void CancelJob(const std::string& job_id);
  // Cancels every running job and waits for all job threads.
  void AbandonJobs();
  // The drain's run of after_job, on a thread of its own.
  void DrainChore(uint64_t serial);
  // A drain has nothing left to do.
  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return draining_ && jobs_.empty() && !chore_running_;
  }
  bool Finished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || Drained();
  }
  // Sleeps up to `delay`; false when Stop (or a finished drain) cut it
  // short.
  bool Wait(absl::Duration delay);

  AgentOptions options_;
  WorkerConnector* connector_;
  JobRunner* runner_;
  SummaryFn summary_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  // Job threads by serial; finished ones are joined when the next starts.
  std::map<uint64_t, std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> finished_threads_ ABSL_GUARDED_BY(mu_);
  uint64_t next_thread_ ABSL_GUARDED_BY(mu_) = 0;
  WorkerStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Layers the scheduler has been told about.
  std::set<std::string> reported_layers_ ABSL_GUARDED_BY(mu_);
  // Whether the scheduler was last told that the disk is full.
  bool disk_full_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped to wake the heartbeat thread early (draining).
  int heartbeat_nudges_ ABSL_GUARDED_BY(mu_) = 0;
  // The drain's after_job run, and what stops it.
  bool chore_running_ ABSL_GUARDED_BY(mu_) = false;
  executor::Cancellation chore_cancel_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_AGENT_H_
