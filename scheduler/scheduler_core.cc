#include "scheduler/scheduler_core.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "scheduler/cache_mount_affinity.h"

namespace farm::scheduler {

SchedulerCore::SchedulerCore(Clock* clock, JobSchedulerOptions options,
                             int max_slots_per_worker)
    : clock_(clock),
      options_(options),
      max_slots_per_worker_(max_slots_per_worker),
      jobs_(clock, options) {}

void SchedulerCore::RegisterBuild(const std::string& build_id,
                                  BuildListener* listener) {
  absl::MutexLock lock(&mu_);
  builds_[build_id] = listener;
  jobs_.mutable_stats().set_builds_started(jobs_.stats().builds_started() + 1);
}

void SchedulerCore::UnregisterBuild(const std::string& build_id) {
  absl::MutexLock lock(&mu_);
  builds_.erase(build_id);
  Execute(jobs_.Abandon(build_id));
}

void SchedulerCore::Submit(const std::string& build_id, int stage,
                           proto::StageJob job) {
  absl::MutexLock lock(&mu_);
  Execute(jobs_.Submit({build_id, stage}, std::move(job)));
  if (work_without_workers_ && jobs_.queued() > 0 && outboxes_.empty()) {
    work_without_workers_();
  }
}

void SchedulerCore::SetWorkWithoutWorkersHandler(
    std::function<void()> handler) {
  absl::MutexLock lock(&mu_);
  work_without_workers_ = std::move(handler);
}

void SchedulerCore::FailQueuedJobs(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  Execute(jobs_.FailQueued(status));
}

absl::StatusOr<std::shared_ptr<WorkerOutbox>> SchedulerCore::WorkerJoined(
    proto::RegisterWorker reg) {
  absl::MutexLock lock(&mu_);
  if (outboxes_.count(reg.worker_id())) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a worker with id ", reg.worker_id(),
        " is already connected; a second one with the same id is refused "
        "until the first leaves or its lease of ",
        absl::FormatDuration(options_.lease), " lapses"));
  }
  if (reg.slots() > max_slots_per_worker_) {
    FARM_LOG(WARNING) << "worker " << reg.worker_id() << " offers "
                      << reg.slots() << " slots; using "
                      << max_slots_per_worker_ << " (--max-slots-per-worker)";
    reg.set_slots(max_slots_per_worker_);
  }
  auto outbox = std::make_shared<WorkerOutbox>();
  outboxes_[reg.worker_id()] = outbox;
  proto::SchedulerMessage hello;
  hello.mutable_registered()->set_worker_id(reg.worker_id());
  hello.mutable_registered()->set_lease_ms(
      absl::ToInt64Milliseconds(options_.lease));
  hello.mutable_registered()->set_heartbeat_interval_ms(
      absl::ToInt64Milliseconds(options_.lease / 4));
  outbox->Push(std::move(hello));
  Execute(jobs_.WorkerJoined(reg));
  return outbox;
}

void SchedulerCore::FromWorker(const std::string& worker_id,
                               const proto::WorkerMessage& message) {
  absl::MutexLock lock(&mu_);
  switch (message.message_case()) {
    case proto::WorkerMessage::kHeartbeat:
      Execute(jobs_.WorkerHeartbeat(worker_id, message.heartbeat()));
      break;
    case proto::WorkerMessage::kEvent:
      Execute(jobs_.JobEventFrom(worker_id, message.event()));
      break;
    case proto::WorkerMessage::kResult:
      Execute(jobs_.JobResultFrom(worker_id, message.result()));
      break;
    default:
      break;
  }
}

void SchedulerCore::WorkerLost(const std::string& worker_id,
                               const std::string& reason,
                               const WorkerOutbox* connection) {
  absl::MutexLock lock(&mu_);
  auto outbox = outboxes_.find(worker_id);
  if (connection != nullptr &&
      (outbox == outboxes_.end() || outbox->second.get() != connection)) {
    return;  // that connection was already replaced
  }
  if (outbox != outboxes_.end()) {
    outbox->second->Close();
    outboxes_.erase(outbox);
  }
  grants_.Revoke(worker_id);
  Execute(jobs_.WorkerLost(worker_id, reason));
}

void SchedulerCore::CloseWorkerStreams() {
  absl::MutexLock lock(&mu_);
  // Closed outboxes stay in place: whatever is pushed to them is dropped,
  // and each stream's own end removes its worker as usual.
  for (auto& [id, outbox] : outboxes_) outbox->Close();
}

absl::Status SchedulerCore::DrainWorker(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto outbox = outboxes_.find(worker_id);
  if (outbox == outboxes_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no worker ", worker_id, " is connected"));
  }
  proto::SchedulerMessage message;
  message.mutable_drain()->set_reason("an admin asked");
  outbox->second->Push(std::move(message));
  return absl::OkStatus();
}

void SchedulerCore::Tick() {
  absl::MutexLock lock(&mu_);
  std::vector<SchedulerAction> actions = jobs_.Tick();
  Execute(std::move(actions));
  // Drop the outboxes of workers whose lease expired (without copying the
  // pool: this runs every second under the lock every dispatch takes).
  for (auto it = outboxes_.begin(); it != outboxes_.end();) {
    if (!jobs_.HasWorker(it->first)) {
      grants_.Revoke(it->first);
      it->second->Close();
      it = outboxes_.erase(it);
    } else {
      ++it;
    }
  }
}

void SchedulerCore::Execute(std::vector<SchedulerAction> actions) {
  for (SchedulerAction& action : actions) {
    if (auto* assign = std::get_if<AssignJob>(&action)) {
      auto outbox = outboxes_.find(assign->worker_id);
      if (outbox == outboxes_.end()) continue;
      proto::SchedulerMessage message;
      *message.mutable_assign() = std::move(assign->job);
      if (UsesCacheMounts(message.assign())) {
        message.mutable_assign()->set_cache_mount_grant(
            grants_.GrantFor(assign->worker_id, message.assign().tenant()));
      }
      outbox->second->Push(std::move(message));
    } else if (auto* cancel = std::get_if<CancelOnWorker>(&action)) {
      auto outbox = outboxes_.find(cancel->worker_id);
      if (outbox == outboxes_.end()) continue;
      proto::SchedulerMessage message;
      message.mutable_cancel()->set_job_id(cancel->job_id);
      message.mutable_cancel()->set_reason(cancel->reason);
      outbox->second->Push(std::move(message));
    } else if (auto* done = std::get_if<JobDone>(&action)) {
      if (observer_ != nullptr && done->ran_for.has_value()) {
        observer_->StageFinished(done->status.ok(), *done->ran_for);
      }
      for (const Waiter& waiter : done->waiters) {
        auto build = builds_.find(waiter.build_id);
        if (build == builds_.end()) continue;
        build->second->OnJobDone(waiter.stage, done->status, done->output);
      }
    } else if (auto* relay = std::get_if<RelayEvent>(&action)) {
      // A build whose platforms share a job sees its progress once, as its
      // first waiter's (waiters are sorted by build, then stage).
      const std::string* last_build = nullptr;
      for (const Waiter& waiter : relay->waiters) {
        if (last_build != nullptr && *last_build == waiter.build_id) continue;
        last_build = &waiter.build_id;
        auto build = builds_.find(waiter.build_id);
        if (build == builds_.end()) continue;
        build->second->OnJobEvent(waiter.stage, relay->event);
      }
    }
  }
}

proto::ListWorkersResponse SchedulerCore::ListWorkers() {
  absl::MutexLock lock(&mu_);
  proto::ListWorkersResponse response;
  for (const auto& [id, worker] : jobs_.pool().workers()) {
    proto::WorkerSummary* summary = response.add_workers();
    summary->set_worker_id(worker.id);
    summary->set_slots(worker.slots);
    summary->set_running_jobs(worker.running.size());
    summary->set_cached_bytes(worker.cached_bytes);
    summary->set_last_heartbeat_unix_nanos(
        absl::ToUnixNanos(worker.last_heartbeat));
    summary->set_draining(worker.draining);
    summary->set_jobs_completed(worker.completed);
    summary->set_disk_full(worker.disk_full);
    summary->set_disk_free_bytes(worker.disk_free_bytes);
    for (const std::string& p : worker.native) {
      summary->add_native_platforms(p);
    }
    for (const std::string& p : worker.emulated) {
      summary->add_emulated_platforms(p);
    }
  }
  return response;
}

void SchedulerCore::BuildFinished(const BuildEnd& build) {
  absl::MutexLock lock(&mu_);
  proto::SchedulerStats& stats = jobs_.mutable_stats();
  switch (build.outcome) {
    case BuildOutcome::kSucceeded:
      stats.set_builds_succeeded(stats.builds_succeeded() + 1);
      if (build.fully_cached) {
        stats.set_fully_cached_builds(stats.fully_cached_builds() + 1);
      }
      break;
    case BuildOutcome::kFailed:
      stats.set_builds_failed(stats.builds_failed() + 1);
      break;
    case BuildOutcome::kCancelled:
      stats.set_builds_cancelled(stats.builds_cancelled() + 1);
      break;
  }
  stats.set_context_bytes_uploaded(stats.context_bytes_uploaded() +
                                   build.uploaded_bytes);
  stats.set_context_bytes_skipped(stats.context_bytes_skipped() +
                                  build.skipped_bytes);
  if (observer_ != nullptr) observer_->BuildFinished(build);
}

void SchedulerCore::SetObserver(SchedulerObserver* observer) {
  absl::MutexLock lock(&mu_);
  observer_ = observer;
}

proto::SchedulerStats SchedulerCore::Stats() {
  absl::MutexLock lock(&mu_);
  return jobs_.stats();
}

CoreSnapshot SchedulerCore::Snapshot() {
  absl::MutexLock lock(&mu_);
  CoreSnapshot snapshot;
  snapshot.jobs_queued = static_cast<int64_t>(jobs_.queued());
  snapshot.jobs_running = static_cast<int64_t>(jobs_.running());
  snapshot.builds_running = static_cast<int64_t>(builds_.size());
  snapshot.pool = jobs_.Load();
  // Copy the counters without the (up to kStageKeysKept) stage keys: the
  // map is swapped out for the copy and back, in constant time.
  proto::SchedulerStats& stats = jobs_.mutable_stats();
  google::protobuf::Map<std::string, int64_t> keys;
  keys.swap(*stats.mutable_runs_by_stage_key());
  snapshot.counters = stats;
  keys.swap(*stats.mutable_runs_by_stage_key());
  return snapshot;
}

}  // namespace farm::scheduler
