// JobScheduler and the jobs workers kept running while they had no
// scheduler (a failover, or a dropped stream): adopting them, and cancelling
// those no build claims. See job_scheduler.h.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "scheduler/cache_mount_affinity.h"
#include "scheduler/job_scheduler.h"

namespace farm::scheduler {

void JobScheduler::KeepJob(WorkerState& worker, const proto::StageJob& kept,
                           std::vector<SchedulerAction>& out) {
  const std::string& id = kept.job_id();
  if (id.empty()) return;
  auto refuse = [&](const std::string& reason) {
    out.push_back(CancelOnWorker{worker.id, id, reason});
  };
  if (UsesCacheMounts(kept)) {
    refuse("its cache mount grant lapsed with the connection it came on");
    return;
  }
  const std::string key = JobDedupKey(kept);
  auto existing = by_key_.find(key);
  if (existing != by_key_.end()) {
    Job& job = jobs_.at(existing->second);
    if (job.unclaimed) {
      refuse(absl::StrCat("worker ", job.worker, " kept the same job"));
      return;
    }
    MoveToKeptRun(job, worker, id, out);
    return;
  }
  if (jobs_.count(id)) {
    refuse(absl::StrCat("its id names another job here: ", id));
    return;
  }
  // No build waits on it yet: the one the new leader resumes may.
  Job& job = jobs_[id];
  job.id = id;
  job.dedup_key = key;
  job.spec = kept;
  job.worker = worker.id;
  job.assigned = clock_->Now();
  job.attempts = std::max(1, kept.attempt());
  job.platform = kept.platform().empty() ? "linux/amd64" : kept.platform();
  job.first_queued = job.assigned;
  job.unclaimed = true;
  job.unclaimed_until = job.assigned + options_.adopt_wait;
  by_key_[key] = id;
  unclaimed_.insert(id);
  pool_.StartJob(worker, id);
}

void JobScheduler::MoveToKeptRun(Job& job, WorkerState& worker,
                                 const std::string& id,
                                 std::vector<SchedulerAction>& out) {
  if (id != job.id && jobs_.count(id)) {
    out.push_back(CancelOnWorker{
        worker.id, id, absl::StrCat("its id names another job here: ", id)});
    return;
  }
  // The kept run is further along than a copy dispatched since.
  if (!job.worker.empty()) {
    out.push_back(CancelOnWorker{
        job.worker, job.id,
        absl::StrCat("worker ", worker.id, " kept a run of it")});
    if (WorkerState* other = pool_.Find(job.worker)) {
      pool_.EndJob(*other, job.id);
    }
  }
  Dequeue(job);
  Job* adopted = &job;
  if (id != job.id) {
    const std::string old_id = job.id;
    adopted = &jobs_[id];  // node_hash_map: `job` stays where it is
    *adopted = std::move(job);
    adopted->id = id;
    adopted->spec.set_job_id(id);
    by_key_[adopted->dedup_key] = id;
    for (const Waiter& waiter : adopted->waiters) {
      std::set<std::string>& ids = by_build_[waiter.build_id];
      ids.erase(old_id);
      ids.insert(id);
    }
    jobs_.erase(old_id);
  }
  adopted->worker = worker.id;
  adopted->adopted = true;
  adopted->assigned = clock_->Now();
  adopted->attempts = std::max(1, adopted->attempts);
  adopted->spec.set_attempt(adopted->attempts);
  pool_.StartJob(worker, id);
  stats_.set_jobs_adopted(stats_.jobs_adopted() + 1);
}

void JobScheduler::Claim(Job& job, const Waiter& waiter, proto::StageJob spec,
                         std::vector<SchedulerAction>& out) {
  unclaimed_.erase(job.id);
  job.unclaimed = false;
  job.adopted = true;
  // The full job, not the worker's trimmed copy: a retry needs all of it.
  spec.set_job_id(job.id);
  spec.set_attempt(job.attempts);
  job.spec = std::move(spec);
  job.waiters.insert(waiter);
  by_build_[waiter.build_id].insert(job.id);
  stats_.set_jobs_adopted(stats_.jobs_adopted() + 1);
  if (job.held_output.has_value()) {
    proto::StageOutput output = *std::move(job.held_output);
    Finish(job, absl::OkStatus(), std::move(output), out);
  }
}

void JobScheduler::ExpireUnclaimed(std::vector<SchedulerAction>& out) {
  const absl::Time now = clock_->Now();
  std::vector<std::string> expired;
  for (const std::string& id : unclaimed_) {
    if (jobs_.at(id).unclaimed_until <= now) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    Drop(jobs_.at(id),
         absl::StrCat("no build claimed it within ",
                      absl::FormatDuration(options_.adopt_wait)),
         out);
  }
}

void JobScheduler::Drop(Job& job, const std::string& reason,
                        std::vector<SchedulerAction>& out) {
  const std::string id = job.id;
  if (!job.worker.empty() && !job.held_output.has_value()) {
    out.push_back(CancelOnWorker{job.worker, id, reason});
    if (WorkerState* worker = pool_.Find(job.worker)) {
      pool_.EndJob(*worker, id);
    }
  }
  unclaimed_.erase(id);
  by_key_.erase(job.dedup_key);
  Dequeue(job);
  jobs_.erase(id);
}

}  // namespace farm::scheduler
