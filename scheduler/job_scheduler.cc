#include "scheduler/job_scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace farm::scheduler {

namespace {

std::string DedupKey(const proto::StageJob& job) {
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

}  // namespace

std::vector<Waiter> JobScheduler::WaiterList(const Job& job) const {
  return std::vector<Waiter>(job.waiters.begin(), job.waiters.end());
}

std::vector<SchedulerAction> JobScheduler::Submit(const Waiter& waiter,
                                                  proto::StageJob spec) {
  std::vector<SchedulerAction> out;
  std::string key = DedupKey(spec);
  auto existing = by_key_.find(key);
  if (existing != by_key_.end()) {
    Job& job = jobs_.at(existing->second);
    job.waiters.insert(waiter);
    job.spec.add_build_ids(waiter.build_id);
    stats_.set_jobs_deduplicated(stats_.jobs_deduplicated() + 1);
    return out;
  }
  Job job;
  job.id = absl::StrCat("job-", next_job_++);
  job.dedup_key = key;
  spec.set_job_id(job.id);
  job.spec = std::move(spec);
  job.waiters.insert(waiter);
  by_key_[key] = job.id;
  queue_.push_back(job.id);
  jobs_[job.id] = std::move(job);
  Dispatch(out);
  return out;
}

WorkerState* JobScheduler::PickWorker(const Job& job) {
  WorkerState* best = nullptr;
  int best_overlap = -1;
  double best_load = 0;
  for (auto& [id, worker] : workers_) {
    if (worker.draining || worker.disk_full ||
        static_cast<int>(worker.running.size()) >= worker.slots) {
      continue;
    }
    int overlap = 0;
    for (const std::string& diff_id : job.spec.base_diff_ids()) {
      overlap += worker.layers.count(diff_id);
    }
    double load = static_cast<double>(worker.running.size()) / worker.slots;
    if (best == nullptr || overlap > best_overlap ||
        (overlap == best_overlap && load < best_load)) {
      best = &worker;
      best_overlap = overlap;
      best_load = load;
    }
  }
  return best;
}

void JobScheduler::Dispatch(std::vector<SchedulerAction>& out) {
  while (!queue_.empty()) {
    Job& job = jobs_.at(queue_.front());
    WorkerState* worker = PickWorker(job);
    if (worker == nullptr) return;
    queue_.pop_front();
    job.worker = worker->id;
    job.assigned = clock_->Now();
    ++job.attempts;
    job.spec.set_attempt(job.attempts);
    worker->running.insert(job.id);
    stats_.set_jobs_dispatched(stats_.jobs_dispatched() + 1);
    auto& runs = *stats_.mutable_runs_by_stage_key();
    if (runs[job.dedup_key]++ == 0) {
      stage_key_order_.push_back(job.dedup_key);
      if (stage_key_order_.size() > kStageKeysKept) {
        runs.erase(stage_key_order_.front());
        stage_key_order_.pop_front();
      }
    }
    out.push_back(AssignJob{worker->id, job.spec});
  }
}

void JobScheduler::Finish(Job& job, absl::Status status,
                          proto::StageOutput output,
                          std::vector<SchedulerAction>& out) {
  if (!status.ok()) stats_.set_jobs_failed(stats_.jobs_failed() + 1);
  std::optional<absl::Duration> ran_for;
  if (!job.worker.empty()) ran_for = clock_->Now() - job.assigned;
  out.push_back(JobDone{WaiterList(job), std::move(status), std::move(output),
                        job.worker, ran_for});
  by_key_.erase(job.dedup_key);
  queue_.erase(std::remove(queue_.begin(), queue_.end(), job.id), queue_.end());
  jobs_.erase(job.id);
}

std::vector<SchedulerAction> JobScheduler::FailQueued(
    const absl::Status& status) {
  std::vector<SchedulerAction> out;
  const std::deque<std::string> queued = queue_;
  for (const std::string& id : queued) {
    auto it = jobs_.find(id);
    if (it != jobs_.end() && it->second.worker.empty()) {
      Finish(it->second, status, proto::StageOutput(), out);
    }
  }
  return out;
}

std::vector<SchedulerAction> JobScheduler::Abandon(
    const std::string& build_id) {
  std::vector<SchedulerAction> out;
  std::vector<std::string> orphaned;
  for (auto& [id, job] : jobs_) {
    for (auto it = job.waiters.begin(); it != job.waiters.end();) {
      it = it->build_id == build_id ? job.waiters.erase(it) : std::next(it);
    }
    if (job.waiters.empty()) orphaned.push_back(id);
  }
  for (const std::string& id : orphaned) {
    Job& job = jobs_.at(id);
    if (!job.worker.empty()) {
      out.push_back(CancelOnWorker{job.worker, id, "no build waits on it"});
      workers_[job.worker].running.erase(id);
    }
    stats_.set_jobs_cancelled(stats_.jobs_cancelled() + 1);
    by_key_.erase(job.dedup_key);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
    jobs_.erase(id);
  }
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::WorkerJoined(
    const proto::RegisterWorker& reg) {
  std::vector<SchedulerAction> out;
  if (workers_.count(reg.worker_id())) {
    // A worker that reconnects under the same id lost what it was running.
    out = WorkerLost(reg.worker_id(), "it reconnected");
  }
  WorkerState& worker = workers_[reg.worker_id()];
  worker.id = reg.worker_id();
  worker.slots = std::max(1, reg.slots());
  worker.layers.insert(reg.layers().begin(), reg.layers().end());
  worker.cached_bytes = reg.cached_bytes();
  worker.disk_full = reg.disk_full();
  worker.disk_free_bytes = reg.disk_free_bytes();
  worker.last_heartbeat = clock_->Now();
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::WorkerHeartbeat(
    const std::string& worker_id, const proto::Heartbeat& beat) {
  std::vector<SchedulerAction> out;
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return out;
  WorkerState& worker = it->second;
  worker.last_heartbeat = clock_->Now();
  worker.cached_bytes = beat.cached_bytes();
  worker.draining = beat.draining();
  worker.disk_full = beat.disk_full();
  worker.disk_free_bytes = beat.disk_free_bytes();
  for (const std::string& id : beat.layers_added()) worker.layers.insert(id);
  for (const std::string& id : beat.layers_removed()) worker.layers.erase(id);
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::WorkerLost(
    const std::string& worker_id, const std::string& reason) {
  std::vector<SchedulerAction> out;
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return out;
  std::set<std::string> running = it->second.running;
  workers_.erase(it);
  stats_.set_workers_lost(stats_.workers_lost() + 1);
  for (const std::string& id : running) {
    auto job_it = jobs_.find(id);
    if (job_it == jobs_.end()) continue;
    Job& job = job_it->second;
    job.last_loss = absl::StrCat("worker ", worker_id, " was lost (", reason,
                                 ") while running it");
    job.worker.clear();
    if (job.attempts >= options_.max_attempts) {
      Finish(job,
             absl::UnavailableError(absl::StrCat(
                 "stage gave up after ", job.attempts,
                 " attempts: each time its worker was lost; last: ",
                 job.last_loss)),
             {}, out);
      continue;
    }
    stats_.set_jobs_retried(stats_.jobs_retried() + 1);
    queue_.push_front(id);
  }
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::JobEventFrom(
    const std::string& worker_id, const proto::JobEvent& event) {
  auto it = jobs_.find(event.job_id());
  if (it == jobs_.end() || it->second.worker != worker_id) return {};
  proto::BuildEvent relayed = event.event();
  relayed.set_worker(worker_id);
  return {RelayEvent{WaiterList(it->second), std::move(relayed)}};
}

std::vector<SchedulerAction> JobScheduler::JobResultFrom(
    const std::string& worker_id, const proto::JobResult& result) {
  std::vector<SchedulerAction> out;
  auto worker = workers_.find(worker_id);
  if (worker != workers_.end()) {
    worker->second.running.erase(result.job_id());
    ++worker->second.completed;
  }
  auto it = jobs_.find(result.job_id());
  if (it != jobs_.end() && it->second.worker == worker_id) {
    absl::Status status =
        result.ok() ? absl::OkStatus()
                    : absl::Status(
                          static_cast<absl::StatusCode>(
                              result.error_code() == 0
                                  ? static_cast<int>(absl::StatusCode::kUnknown)
                                  : result.error_code()),
                          result.error());
    Finish(it->second, status, result.output(), out);
  }
  Dispatch(out);
  return out;
}

std::vector<SchedulerAction> JobScheduler::Tick() {
  std::vector<SchedulerAction> out;
  absl::Time now = clock_->Now();
  std::vector<std::string> expired;
  for (const auto& [id, worker] : workers_) {
    if (now - worker.last_heartbeat > options_.lease) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    std::vector<SchedulerAction> lost =
        WorkerLost(id, absl::StrCat("no heartbeat for ",
                                    absl::FormatDuration(options_.lease)));
    out.insert(out.end(), lost.begin(), lost.end());
  }
  return out;
}

size_t JobScheduler::running() const {
  size_t running = 0;
  for (const auto& [id, job] : jobs_) running += job.worker.empty() ? 0 : 1;
  return running;
}

PoolLoad JobScheduler::Load() const {
  PoolLoad load;
  for (const auto& [id, worker] : workers_) {
    ++load.workers;
    load.draining += worker.draining ? 1 : 0;
    load.slots += worker.slots;
    load.busy_slots += static_cast<int64_t>(worker.running.size());
  }
  return load;
}

std::vector<WorkerState> JobScheduler::Workers() const {
  std::vector<WorkerState> out;
  for (const auto& [id, worker] : workers_) out.push_back(worker);
  return out;
}

}  // namespace farm::scheduler
