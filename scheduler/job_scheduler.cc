#include "scheduler/job_scheduler.h"

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_fields.h"
#include "scheduler/cache_mount_affinity.h"

namespace farm::scheduler {

std::string JobDedupKey(const proto::StageJob& job) {
  std::string last = job.keys_size() > 0 ? job.keys(job.keys_size() - 1) : "";
  std::string key = absl::StrCat(last, job.no_cache() ? "/no-cache" : "");
  // A build with limits of its own shares no job with one without: the
  // limits decide whether the job succeeds.
  if (job.has_run_limits()) {
    const proto::RunLimits& limits = job.run_limits();
    absl::StrAppend(&key, "/limits:", limits.memory_bytes(), ",", limits.pids(),
                    ",", limits.cpus(), ",", limits.timeout_ms(), ",",
                    limits.disk_bytes());
  }
  return key;
}

std::vector<Waiter> JobScheduler::WaiterList(const Job& job) const {
  return std::vector<Waiter>(job.waiters.begin(), job.waiters.end());
}

std::vector<SchedulerAction> JobScheduler::Submit(const Waiter& waiter,
                                                  proto::StageJob spec) {
  std::vector<SchedulerAction> out;
  std::string key = JobDedupKey(spec);
  auto existing = by_key_.find(key);
  if (existing != by_key_.end()) {
    Job& job = jobs_.at(existing->second);
    if (job.unclaimed) {
      Claim(job, waiter, std::move(spec), out);
      return out;
    }
    job.waiters.insert(waiter);
    job.spec.add_build_ids(waiter.build_id);
    by_build_[waiter.build_id].insert(job.id);
    stats_.set_jobs_deduplicated(stats_.jobs_deduplicated() + 1);
    return out;
  }
  std::string id = absl::StrCat(options_.job_id_prefix, next_job_++);
  while (jobs_.count(id)) {  // a kept job's, from an earlier scheduler
    id = absl::StrCat(options_.job_id_prefix, next_job_++);
  }
  Job& job = jobs_[id];
  job.id = id;
  job.dedup_key = key;
  spec.set_job_id(id);
  job.spec = std::move(spec);
  job.waiters.insert(waiter);
  job.platform =
      job.spec.platform().empty() ? "linux/amd64" : job.spec.platform();
  job.first_queued = clock_->Now();
  job.cache_affinity = CacheMountAffinity(job.spec);
  by_key_[std::move(key)] = id;
  by_build_[waiter.build_id].insert(std::move(id));
  Enqueue(job, /*front=*/false);
  Dispatch(out);
  return out;
}

void JobScheduler::Enqueue(Job& job, bool front) {
  std::list<Job*>& queue = queues_[job.platform];
  job.queue_pos = queue.insert(front ? queue.begin() : queue.end(), &job);
  job.queued = true;
  ++queued_;
}

void JobScheduler::Dequeue(Job& job) {
  if (!job.queued) return;
  queues_.at(job.platform).erase(job.queue_pos);
  job.queued = false;
  --queued_;
}

void JobScheduler::Dispatch(std::vector<SchedulerAction>& out) {
  if (queued_ == 0) return;
  for (auto& [platform, queue] : queues_) DispatchQueue(queue, out);
}

void JobScheduler::DispatchQueue(std::list<Job*>& queue,
                                 std::vector<SchedulerAction>& out) {
  int skipped = 0;
  auto it = queue.begin();
  while (it != queue.end()) {
    Job& job = **it;
    const auto next = std::next(it);  // Assign and Finish remove only `job`
    const size_t before = queue.size();
    bool waits_for_cache = false;
    WorkerState* worker = Place(job, out, &waits_for_cache);
    if (worker != nullptr) {
      Assign(job, *worker, out);
    } else if (waits_for_cache) {
      if (++skipped >= kMaxCacheWaitersSkipped) return;
    } else if (queue.size() == before) {
      return;  // no worker for it, so none for the jobs behind it either
    }
    it = next;
  }
}

WorkerState* JobScheduler::PlaceByCache(const Job& job, bool* waits_for_cache) {
  if (!job.cache_affinity.has_value()) return nullptr;
  WorkerState* owner =
      pool_.Preferred(*job.cache_affinity, job.platform, RunMode::kNative);
  if (owner == nullptr) return nullptr;
  if (WorkerPool::IsFree(*owner)) return owner;
  // A busy worker frees a slot soon more often than not; a full disk does
  // not, and without a free worker the job waits anyway.
  *waits_for_cache =
      !owner->disk_full && pool_.free_workers() > 0 &&
      clock_->Now() - job.first_queued < options_.cache_mount_wait;
  return nullptr;
}

WorkerState* JobScheduler::Place(Job& job, std::vector<SchedulerAction>& out,
                                 bool* waits_for_cache) {
  if (WorkerState* owner = PlaceByCache(job, waits_for_cache)) return owner;
  if (*waits_for_cache) return nullptr;
  const auto& layers = job.spec.base_diff_ids();
  WorkerState* worker = pool_.Pick(layers, job.platform, RunMode::kNative);
  if (worker != nullptr) return worker;
  const bool any_native =
      pool_.CountRunning(job.platform, RunMode::kNative) > 0;
  const bool any_emulated =
      pool_.CountRunning(job.platform, RunMode::kEmulated) > 0;
  if (!any_native && !any_emulated) {
    // With no worker connected at all, wait for one, as ever.
    if (!pool_.workers().empty()) {
      Finish(job,
             absl::FailedPreconditionError(absl::StrCat(
                 "no worker can run ", job.platform, ": connected workers run ",
                 pool_.DescribePlatforms())),
             {}, out);
    }
    return nullptr;
  }
  if (!any_emulated) return nullptr;
  // A busy native worker is worth waiting for a while: emulation is slow.
  if (any_native &&
      clock_->Now() - job.first_queued < options_.emulation_wait) {
    return nullptr;
  }
  return pool_.Pick(layers, job.platform, RunMode::kEmulated);
}

void JobScheduler::Assign(Job& job, WorkerState& worker,
                          std::vector<SchedulerAction>& out) {
  Dequeue(job);
  job.worker = worker.id;
  job.assigned = clock_->Now();
  ++job.attempts;
  job.spec.set_attempt(job.attempts);
  pool_.StartJob(worker, job.id);
  stats_.set_jobs_dispatched(stats_.jobs_dispatched() + 1);
  auto& runs = *stats_.mutable_runs_by_stage_key();
  if (runs[job.dedup_key]++ == 0) {
    stage_key_order_.push_back(job.dedup_key);
    if (stage_key_order_.size() > kStageKeysKept) {
      runs.erase(stage_key_order_.front());
      stage_key_order_.pop_front();
    }
  }
  out.push_back(AssignJob{worker.id, job.spec});
}

void JobScheduler::Finish(Job& job, absl::Status status,
                          proto::StageOutput output,
                          std::vector<SchedulerAction>& out) {
  if (!status.ok()) stats_.set_jobs_failed(stats_.jobs_failed() + 1);
  std::optional<absl::Duration> ran_for;
  if (!job.worker.empty()) ran_for = clock_->Now() - job.assigned;
  out.push_back(JobDone{WaiterList(job), std::move(status), std::move(output),
                        job.worker, ran_for});
  for (const Waiter& waiter : job.waiters) {
    auto build = by_build_.find(waiter.build_id);
    if (build == by_build_.end()) continue;
    build->second.erase(job.id);
    if (build->second.empty()) by_build_.erase(build);
  }
  by_key_.erase(job.dedup_key);
  unclaimed_.erase(job.id);
  Dequeue(job);
  jobs_.erase(job.id);
}

std::vector<SchedulerAction> JobScheduler::FailQueued(
    const absl::Status& status) {
  std::vector<SchedulerAction> out;
  for (auto& [platform, queue] : queues_) {
    while (!queue.empty()) {
      Finish(*queue.front(), status, proto::StageOutput(), out);
    }
  }
  return out;
}

std::vector<SchedulerAction> JobScheduler::Abandon(
    const std::string& build_id) {
  std::vector<SchedulerAction> out;
  auto build = by_build_.find(build_id);
  if (build == by_build_.end()) {
    Dispatch(out);
    return out;
  }
  const std::set<std::string> waited_on = std::move(build->second);
  by_build_.erase(build);
  for (const std::string& id : waited_on) {
    Job& job = jobs_.at(id);
    // The build's waiters sort together: from (build_id, lowest stage) on.
    auto it = job.waiters.lower_bound(Waiter{build_id, INT_MIN});
    while (it != job.waiters.end() && it->build_id == build_id) {
      it = job.waiters.erase(it);
    }
    if (!job.waiters.empty()) continue;
    if (!job.worker.empty()) {
      out.push_back(CancelOnWorker{job.worker, id, "no build waits on it"});
      if (WorkerState* worker = pool_.Find(job.worker)) {
        pool_.EndJob(*worker, id);
      }
    }
    stats_.set_jobs_cancelled(stats_.jobs_cancelled() + 1);
    by_key_.erase(job.dedup_key);
    Dequeue(job);
    jobs_.erase(id);
  }
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::WorkerJoined(
    const proto::RegisterWorker& reg) {
  std::vector<SchedulerAction> out;
  if (HasWorker(reg.worker_id())) {
    // The old connection's jobs are re-queued; those the worker kept are
    // adopted back below, before anything is dispatched.
    LoseWorker(reg.worker_id(), "it reconnected", out);
  }
  WorkerState& worker = pool_.Join(reg, clock_->Now());
  for (const proto::StageJob& kept : reg.kept_jobs()) {
    KeepJob(worker, kept, out);
  }
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::WorkerHeartbeat(
    const std::string& worker_id, const proto::Heartbeat& beat) {
  std::vector<SchedulerAction> out;
  WorkerState* worker = pool_.Find(worker_id);
  if (worker == nullptr) return out;
  pool_.Heartbeat(*worker, beat, clock_->Now());
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::WorkerLost(
    const std::string& worker_id, const std::string& reason) {
  std::vector<SchedulerAction> out;
  LoseWorker(worker_id, reason, out);
  Dispatch(out);
  return out;
}

void JobScheduler::LoseWorker(const std::string& worker_id,
                              const std::string& reason,
                              std::vector<SchedulerAction>& out) {
  WorkerState* worker = pool_.Find(worker_id);
  if (worker == nullptr) return;
  const std::set<std::string> running = worker->running;
  pool_.Remove(worker_id);
  stats_.set_workers_lost(stats_.workers_lost() + 1);
  for (const std::string& id : running) {
    auto job_it = jobs_.find(id);
    if (job_it == jobs_.end()) continue;
    Job& job = job_it->second;
    job.last_loss = absl::StrCat("worker ", worker_id, " was lost (", reason,
                                 ") while running it");
    job.worker.clear();
    if (job.unclaimed) {
      Drop(job, "", out);  // nobody waits on it, and nobody runs it now
      continue;
    }
    Retry(job, out);
  }
}

bool JobScheduler::Retry(Job& job, std::vector<SchedulerAction>& out) {
  job.worker.clear();
  job.adopted = false;
  if (job.attempts >= options_.max_attempts) {
    Finish(
        job,
        absl::UnavailableError(absl::StrCat(
            "stage gave up after ", job.attempts,
            " attempts: each time its worker was lost; last: ", job.last_loss)),
        {}, out);
    return false;
  }
  stats_.set_jobs_retried(stats_.jobs_retried() + 1);
  Enqueue(job, /*front=*/true);
  return true;
}

std::vector<SchedulerAction> JobScheduler::JobEventFrom(
    const std::string& worker_id, const proto::JobEvent& event) {
  auto it = jobs_.find(event.job_id());
  if (it == jobs_.end() || it->second.worker != worker_id ||
      it->second.waiters.empty()) {
    return {};
  }
  proto::BuildEvent relayed = event.event();
  relayed.set_worker(worker_id);
  return {RelayEvent{WaiterList(it->second), std::move(relayed)}};
}

std::vector<SchedulerAction> JobScheduler::JobResultFrom(
    const std::string& worker_id, const proto::JobResult& result) {
  std::vector<SchedulerAction> out;
  if (WorkerState* worker = pool_.Find(worker_id)) {
    pool_.EndJob(*worker, result.job_id());
    ++worker->completed;
  }
  auto it = jobs_.find(result.job_id());
  if (it != jobs_.end() && it->second.worker == worker_id) {
    Job& job = it->second;
    absl::Status status = StatusFromFields(result);
    if (job.adopted && status.code() == absl::StatusCode::kUnavailable) {
      job.last_loss = absl::StrCat("worker ", worker_id,
                                   " kept it without a "
                                   "scheduler, and it failed: ",
                                   status.message());
      Retry(job, out);
    } else if (!job.unclaimed) {
      Finish(job, std::move(status), result.output(), out);
    } else if (status.ok()) {
      job.held_output = result.output();  // for the build that claims it
    } else {
      // A failure that may be the lost scheduler's (a cache it could not
      // reach): a build that claims the work runs it afresh.
      job.worker.clear();
      Drop(job, "", out);
    }
  }
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::Tick() {
  std::vector<SchedulerAction> out;
  absl::Time now = clock_->Now();
  std::vector<std::string> expired;
  for (const auto& [id, worker] : pool_.workers()) {
    if (now - worker.last_heartbeat > options_.lease) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    std::vector<SchedulerAction> lost =
        WorkerLost(id, absl::StrCat("no heartbeat for ",
                                    absl::FormatDuration(options_.lease)));
    out.insert(out.end(), lost.begin(), lost.end());
  }
  ExpireUnclaimed(out);
  // Jobs whose wait for a native worker is over may go to an emulating one.
  Dispatch(out);
  return out;
}

PoolLoad JobScheduler::Load() const {
  PoolLoad load;
  for (const auto& [id, worker] : pool_.workers()) {
    ++load.workers;
    load.draining += worker.draining ? 1 : 0;
    load.slots += worker.slots;
    load.busy_slots += static_cast<int64_t>(worker.running.size());
  }
  return load;
}

std::vector<WorkerState> JobScheduler::Workers() const {
  std::vector<WorkerState> out;
  for (const auto& [id, worker] : pool_.workers()) out.push_back(worker);
  return out;
}

}  // namespace farm::scheduler
