#include "worker/agent.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_fields.h"

namespace farm::worker {

// One Connect stream and what its threads share.
struct Agent::Session {
  std::unique_ptr<WorkerStream> stream;
  absl::Mutex write_mu;
  // Guarded by the agent's mu_.
  absl::Duration interval;
  bool ended = false;

  bool Send(const proto::WorkerMessage& message) {
    absl::MutexLock lock(&write_mu);
    return stream->Write(message);
  }
};

namespace {

// Forwards a job's events to the scheduler.
class StreamEvents : public EventSink {
 public:
  StreamEvents(std::function<void(const proto::WorkerMessage&)> send,
               std::string job_id)
      : send_(std::move(send)), job_id_(std::move(job_id)) {}
  void Emit(const proto::BuildEvent& event) override {
    proto::WorkerMessage message;
    message.mutable_event()->set_job_id(job_id_);
    *message.mutable_event()->mutable_event() = event;
    send_(message);
  }

 private:
  std::function<void(const proto::WorkerMessage&)> send_;
  std::string job_id_;
};

// A job as RegisterWorker.kept_jobs lists it: enough for a scheduler to
// know it again, without the bulk of its inputs (the scheduler has them,
// and a kept job never runs from this copy) and without its secrets.
proto::StageJob KeptJob(const proto::StageJob& job) {
  proto::StageJob kept = job;
  kept.clear_context();
  kept.clear_context_digest();
  kept.clear_sources();
  kept.clear_base();
  // Without `cached`, looked_up would claim that every key missed.
  kept.clear_looked_up();
  kept.clear_cached();
  kept.clear_url_blobs();
  kept.clear_secrets();
  kept.clear_cache_mount_grant();
  return kept;
}

}  // namespace

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    snprintf(host, sizeof(host), "worker");
  }
  return absl::StrCat(host, "-", getpid());
}

Agent::Agent(AgentOptions options, WorkerConnector* connector,
             JobRunner* runner, SummaryFn summary)
    : options_(std::move(options)),
      connector_(connector),
      runner_(runner),
      summary_(std::move(summary)) {
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
  options_.slots = std::max(1, options_.slots);
}

Agent::~Agent() {
  Stop();
  AbandonJobs();
}

int Agent::running() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(jobs_.size());
}

absl::Status Agent::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (Finished()) break;
    }
    absl::StatusOr<std::unique_ptr<WorkerStream>> stream =
        connector_->Connect();
    bool registered = false;
    if (stream.ok()) {
      registered = Serve(*std::move(stream));
    } else {
      FARM_LOG(WARNING) << "connecting to the scheduler: " << stream.status();
    }
    if (registered) backoff = options_.min_backoff;
    if (!WaitToReconnect(backoff)) break;
    FARM_LOG(INFO) << "reconnecting to the scheduler";
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  AbandonJobs();
  absl::MutexLock lock(&mu_);
  held_.clear();
  return absl::OkStatus();
}

bool Agent::Serve(std::unique_ptr<WorkerStream> stream) {
  auto session = std::make_shared<Session>();
  session->stream = std::move(stream);
  proto::WorkerMessage hello;
  {
    absl::MutexLock lock(&mu_);
    if (Finished()) return false;
    stream_ = session->stream.get();
    session->interval = options_.heartbeat;
    hello = Hello();
  }
  bool registered = false;
  if (session->Send(hello)) {
    SendHeldResults(session);
    std::thread heartbeat([this, session] { Heartbeats(session.get()); });
    proto::SchedulerMessage message;
    while (session->stream->Read(&message)) {
      if (message.has_registered()) {
        registered = true;
        FARM_LOG(INFO) << "registered with the scheduler as "
                       << message.registered().worker_id();
        int64_t ms = message.registered().heartbeat_interval_ms();
        absl::MutexLock lock(&mu_);
        if (ms > 0) session->interval = absl::Milliseconds(ms);
        // A scheduler has the kept jobs now: their time starts afresh.
        lost_at_.reset();
        ++heartbeat_nudges_;
      } else if (message.has_assign()) {
        StartJob(message.assign());
      } else if (message.has_cancel()) {
        CancelJob(message.cancel().job_id());
      } else if (message.has_drain()) {
        FARM_LOG(INFO) << "the scheduler asked to drain: "
                       << message.drain().reason();
        Drain();
      }
    }
    {
      absl::MutexLock lock(&mu_);
      session->ended = true;
    }
    heartbeat.join();
  }
  absl::MutexLock lock(&mu_);
  session->ended = true;
  stream_ = nullptr;
  if (session_ == session) {
    session_.reset();
    if (!lost_at_.has_value()) lost_at_ = options_.clock->Now();
  }
  return registered;
}

proto::WorkerMessage Agent::Hello() {
  proto::WorkerMessage hello;
  proto::RegisterWorker* reg = hello.mutable_register_();
  reg->set_worker_id(options_.worker_id);
  reg->set_slots(options_.slots);
  reg->set_version(options_.version);
  for (const std::string& p : options_.native_platforms) {
    reg->add_native_platforms(p);
  }
  for (const std::string& p : options_.emulated_platforms) {
    reg->add_emulated_platforms(p);
  }
  const DiskReport disk = CheckDisk();
  reg->set_disk_full(disk.full);
  reg->set_disk_free_bytes(disk.free_bytes);
  reported_layers_.clear();
  if (summary_) {
    snapshot::StoreSummary summary = summary_();
    reg->set_cached_bytes(static_cast<int64_t>(summary.bytes));
    for (const std::string& id : summary.diff_ids) {
      reg->add_layers(id);
      reported_layers_.insert(id);
    }
  }
  for (const auto& [id, job] : jobs_) *reg->add_kept_jobs() = job.kept_job;
  // A held result's job may still be in jobs_, running after_job.
  for (const auto& [id, held] : held_) {
    if (!jobs_.count(id)) *reg->add_kept_jobs() = held.kept_job;
  }
  if (reg->kept_jobs_size() > 0) {
    FARM_LOG(INFO) << "registering with " << reg->kept_jobs_size()
                   << " jobs kept from the last scheduler, " << held_.size()
                   << " of them with results to send";
  }
  return hello;
}

void Agent::SendHeldResults(const std::shared_ptr<Session>& session) {
  std::map<std::string, HeldResult> held;
  {
    absl::MutexLock lock(&mu_);
    session_ = session;
    held.swap(held_);
  }
  for (auto& [job_id, result] : held) {
    SendOrHoldResult(job_id, std::move(result));
  }
}

DiskReport Agent::CheckDisk() {
  if (!options_.disk) return DiskReport();
  DiskReport disk = options_.disk();
  if (disk.full != disk_full_) {
    FARM_LOG(WARNING) << (disk.full ? "disk nearly full" : "disk space freed")
                      << ": " << disk.free_bytes << " bytes free; "
                      << (disk.full ? "taking no jobs" : "taking jobs again");
  }
  disk_full_ = disk.full;
  return disk;
}

proto::Heartbeat Agent::MakeHeartbeat() {
  proto::Heartbeat beat;
  for (const auto& [id, job] : jobs_) beat.add_running_jobs(id);
  beat.set_draining(draining_);
  const DiskReport disk = CheckDisk();
  beat.set_disk_full(disk.full);
  beat.set_disk_free_bytes(disk.free_bytes);
  if (summary_) {
    snapshot::StoreSummary summary = summary_();
    beat.set_cached_bytes(static_cast<int64_t>(summary.bytes));
    std::set<std::string> now(summary.diff_ids.begin(), summary.diff_ids.end());
    for (const std::string& id : now) {
      if (!reported_layers_.count(id)) beat.add_layers_added(id);
    }
    for (const std::string& id : reported_layers_) {
      if (!now.count(id)) beat.add_layers_removed(id);
    }
    reported_layers_ = std::move(now);
  }
  return beat;
}

void Agent::Heartbeats(Session* session) {
  absl::MutexLock lock(&mu_);
  bool send_now = draining_;
  while (true) {
    if (!send_now) {
      const int nudges = heartbeat_nudges_;
      auto wake = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return session->ended || stopping_ || heartbeat_nudges_ != nudges;
      };
      bool nudged = options_.clock->AwaitWithDeadline(
          &mu_, absl::Condition(&wake),
          options_.clock->Now() + session->interval);
      // A nudge from Registered only restarts the timer; one from Drain
      // sends at once.
      if (nudged && !draining_ && !session->ended && !stopping_) continue;
    }
    send_now = false;
    if (session->ended || stopping_) return;
    proto::WorkerMessage message;
    *message.mutable_heartbeat() = MakeHeartbeat();
    mu_.Unlock();
    session->Send(message);
    mu_.Lock();
    // A drain with nothing left to finish ends once the scheduler heard.
    if (Drained() && !session->ended) session->stream->Close();
  }
}

void Agent::StartJob(proto::StageJob job) {
  proto::StageJob kept_job = KeptJob(job);
  absl::MutexLock lock(&mu_);
  for (uint64_t serial : finished_threads_) {
    auto it = threads_.find(serial);
    if (it != threads_.end()) {
      it->second.join();
      threads_.erase(it);
    }
  }
  finished_threads_.clear();
  const std::string id = job.job_id();
  if (jobs_.count(id)) {
    FARM_LOG(WARNING) << "job " << id << " assigned twice; running it once";
    return;
  }
  Job& entry = jobs_[id];
  entry.spec = std::move(job);
  entry.kept_job = std::move(kept_job);
  entry.cancel = std::make_unique<executor::Cancellation>();
  if (stopping_) entry.cancel->Cancel();
  const uint64_t serial = next_thread_++;
  threads_.emplace(serial, std::thread(&Agent::RunJob, this, id, serial));
}

void Agent::RunJob(std::string job_id, uint64_t serial) {
  proto::StageJob spec;
  HeldResult held;
  const executor::Cancellation* cancel = nullptr;
  {
    absl::MutexLock lock(&mu_);
    const Job& job = jobs_.at(job_id);
    spec = job.spec;
    held.kept_job = job.kept_job;
    cancel = job.cancel.get();
  }
  StreamEvents events(
      [this](const proto::WorkerMessage& m) { SendIfConnected(m); }, job_id);
  absl::StatusOr<proto::StageOutput> output =
      runner_->Run(spec, events, *cancel);
  proto::JobResult* result = held.result.mutable_result();
  result->set_job_id(job_id);
  SetStatusFields(output.status(), result);
  if (output.ok()) *result->mutable_output() = *std::move(output);
  // A job that filled the disk: the scheduler hears before the slot frees.
  // With no scheduler, the next registration says how full the disk is.
  std::optional<proto::WorkerMessage> beat;
  {
    absl::MutexLock lock(&mu_);
    const bool was_full = disk_full_;
    if (session_ != nullptr && options_.disk &&
        options_.disk().full != was_full) {
      beat.emplace();
      *beat->mutable_heartbeat() = MakeHeartbeat();
    }
  }
  if (beat.has_value()) SendIfConnected(*beat);
  SendOrHoldResult(job_id, std::move(held));
  // Still one of jobs_, so that a drain waits for it.
  if (options_.after_job) options_.after_job(*cancel);

  absl::MutexLock lock(&mu_);
  jobs_.erase(job_id);
  finished_threads_.push_back(serial);
  // The last job of a drain: the heartbeat thread says so and then closes
  // the stream, so a drain that began while this result was on its way
  // still reaches the scheduler before the stream ends.
  if (Drained()) ++heartbeat_nudges_;
}

void Agent::SendIfConnected(const proto::WorkerMessage& message) {
  std::shared_ptr<Session> session;
  {
    absl::MutexLock lock(&mu_);
    session = session_;
  }
  if (session != nullptr) session->Send(message);
}

void Agent::SendOrHoldResult(const std::string& job_id, HeldResult held) {
  // Looking for the session and holding happen under one lock, so a result
  // is either held before a registration takes the held ones, or sent on
  // the session that registration made.
  std::shared_ptr<Session> failed;
  while (true) {
    std::shared_ptr<Session> session;
    {
      absl::MutexLock lock(&mu_);
      if (session_ == nullptr || session_ == failed) {
        held_[job_id] = std::move(held);
        return;
      }
      session = session_;
    }
    if (session->Send(held.result)) return;
    failed = std::move(session);
  }
}

void Agent::DrainChore(uint64_t serial) {
  options_.after_job(chore_cancel_);
  absl::MutexLock lock(&mu_);
  chore_running_ = false;
  finished_threads_.push_back(serial);
  if (Drained()) ++heartbeat_nudges_;
}

void Agent::CancelJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) it->second.cancel->Cancel();
}

void Agent::AbandonJobs() {
  std::map<uint64_t, std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, job] : jobs_) job.cancel->Cancel();
    if (chore_running_) chore_cancel_.Cancel();
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return jobs_.empty() && !chore_running_;
    };
    mu_.Await(absl::Condition(&idle));
    threads.swap(threads_);
    finished_threads_.clear();
  }
  for (auto& [serial, thread] : threads) thread.join();
}

void Agent::AbandonExpiredJobs() {
  absl::Duration lost_for;
  size_t running = 0, results = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!lost_at_.has_value() || !Keeping()) return;
    lost_for = options_.clock->Now() - *lost_at_;
    if (lost_for < options_.keep_jobs) return;
    running = jobs_.size();
    results = held_.size();
  }
  if (running + results > 0) {
    const std::string why =
        options_.keep_jobs > absl::ZeroDuration()
            ? absl::StrCat("no scheduler for ", absl::FormatDuration(lost_for),
                           ", and jobs are kept for at most ",
                           absl::FormatDuration(options_.keep_jobs))
            : "the scheduler's stream ended and jobs are not kept";
    FARM_LOG(WARNING) << "cancelling " << running
                      << " running jobs and dropping " << results
                      << " held results: " << why
                      << "; a scheduler runs them again";
  }
  AbandonJobs();
  // The results of the jobs just cancelled were held too.
  absl::MutexLock lock(&mu_);
  held_.clear();
}

void Agent::Drain() {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return;
    draining_ = true;
    FARM_LOG(INFO) << "draining: finishing " << jobs_.size()
                   << " running jobs, taking no new ones";
  }
  // Reported before the heartbeat that tells the scheduler goes out.
  if (options_.on_drain) options_.on_drain();
  absl::MutexLock lock(&mu_);
  if (options_.after_job && !stopping_) {
    chore_running_ = true;
    const uint64_t serial = next_thread_++;
    threads_.emplace(serial, std::thread(&Agent::DrainChore, this, serial));
  }
  ++heartbeat_nudges_;
}

void Agent::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto& [id, job] : jobs_) job.cancel->Cancel();
  chore_cancel_.Cancel();
  if (stream_ != nullptr) stream_->Close();
}

bool Agent::WaitToReconnect(absl::Duration delay) {
  const absl::Time reconnect_at = options_.clock->Now() + delay;
  while (true) {
    AbandonExpiredJobs();
    absl::MutexLock lock(&mu_);
    if (Finished()) return false;
    if (options_.clock->Now() >= reconnect_at) return true;
    // Wakes when the kept jobs' time is up, if that comes first.
    absl::Time until = reconnect_at;
    if (lost_at_.has_value() && Keeping()) {
      until = std::min(until, *lost_at_ + options_.keep_jobs);
    }
    auto done = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return Finished(); };
    options_.clock->AwaitWithDeadline(&mu_, absl::Condition(&done), until);
  }
}

}  // namespace farm::worker
