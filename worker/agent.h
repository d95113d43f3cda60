// Agent: a worker's side of the scheduler protocol (proto/worker.proto). It
// dials out (the scheduler never dials a worker), registers its id, slots
// and the layers its snapshot store holds, runs every assigned job on a
// thread of its own, streams the jobs' events and results back, sends
// heartbeats at the interval the scheduler asks for (saying too when its
// disk is too full to take jobs), reconnects with exponential backoff when
// the stream drops, and drains on request. Jobs outlive a lost stream for a
// while (AgentOptions::keep_jobs), so that the scheduler it registers with
// next, the same one or the standby that took over, can adopt them.
#ifndef FARM_WORKER_AGENT_H_
#define FARM_WORKER_AGENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  // How long jobs run on while no scheduler is connected. Meanwhile their
  // events are dropped and their results held; the next registration lists
  // the running and the held ones (RegisterWorker.kept_jobs) and the held
  // results follow it. Past this the agent cancels them and drops the
  // results, checked before each reconnect and when this much time is up.
  // Zero cancels them as soon as the stream ends.
  absl::Duration keep_jobs = absl::Seconds(30);
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
  // finish and report. Returns OK in both cases. A job's events and result
  // go to whichever scheduler the agent is registered with when they come,
  // not necessarily the one that assigned the job.
  absl::Status Run();

  // Finishes the jobs in hand and takes no new ones: the scheduler hears
  // draining=true at once, then the agent ends when its last job is done.
  // Jobs assigned meanwhile (the scheduler had not heard yet) still run. A
  // draining agent that loses the scheduler goes on as any other: it ends
  // once its held results reach a scheduler, or keep_jobs cancels them.
  void Drain();
  // Ends now: running jobs are cancelled (the scheduler re-queues them),
  // held results are dropped, and Run returns once the jobs have stopped.
  void Stop();

  const std::string& worker_id() const { return options_.worker_id; }
  // Jobs running now.
  int running() const;

 private:
  struct Session;
  struct Job {
    proto::StageJob spec;
    proto::StageJob kept_job;  // as RegisterWorker.kept_jobs lists it
    std::unique_ptr<executor::Cancellation> cancel;
  };
  // A job's result that found no scheduler to take it.
  struct HeldResult {
    proto::WorkerMessage result;
    proto::StageJob kept_job;  // as RegisterWorker.kept_jobs lists it
  };

  // One connection: registers, reads assignments until the stream ends, a
  // Stop, or a finished drain. True when it registered.
  bool Serve(std::unique_ptr<WorkerStream> stream);
  // The registration, listing the jobs kept since the last scheduler.
  proto::WorkerMessage Hello() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `session` the one jobs report to, and sends it the held results.
  void SendHeldResults(const std::shared_ptr<Session>& session);
  void Heartbeats(Session* session);
  proto::Heartbeat MakeHeartbeat() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Asks options_.disk, logs a change from or to full and remembers it.
  DiskReport CheckDisk() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartJob(proto::StageJob job);
  void RunJob(std::string job_id, uint64_t serial);
  // To the current session; dropped while there is none.
  void SendIfConnected(const proto::WorkerMessage& message);
  // To the current session; held when there is none or the send fails.
  void SendOrHoldResult(const std::string& job_id, HeldResult held);
  void CancelJob(const std::string& job_id);
  // Cancels every running job and waits for all job threads.
  void AbandonJobs();
  // AbandonJobs, and drops the held results, once no scheduler has been
  // connected for keep_jobs.
  void AbandonExpiredJobs();
  // The drain's run of after_job, on a thread of its own.
  void DrainChore(uint64_t serial);
  // A drain has nothing left to do.
  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return draining_ && jobs_.empty() && held_.empty() && !chore_running_;
  }
  // Work that a lost scheduler's keep_jobs limits.
  bool Keeping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !jobs_.empty() || !held_.empty() || chore_running_;
  }
  bool Finished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || Drained();
  }
  // Sleeps up to `delay`, abandoning kept jobs when their time is up;
  // false when Stop (or a finished drain) cut it short.
  bool WaitToReconnect(absl::Duration delay);

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
  // The stream being served, for Stop to close.
  WorkerStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  // The session jobs report to: set once its registration is sent, reset
  // when it ends.
  std::shared_ptr<Session> session_ ABSL_GUARDED_BY(mu_);
  // Since when no scheduler has had the jobs: set as a session ends (unless
  // set already), cleared when a scheduler answers a registration, so that
  // streams that end before their answer do not restart keep_jobs' time.
  std::optional<absl::Time> lost_at_ ABSL_GUARDED_BY(mu_);
  // Results of jobs that ended without a session, by job id.
  std::map<std::string, HeldResult> held_ ABSL_GUARDED_BY(mu_);
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
