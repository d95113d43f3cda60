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
  StreamEvents(std::function<bool(const proto::WorkerMessage&)> send,
               std::string job_id)
      : send_(std::move(send)), job_id_(std::move(job_id)) {}
  void Emit(const proto::BuildEvent& event) override {
    proto::WorkerMessage message;
    message.mutable_event()->set_job_id(job_id_);
    *message.mutable_event()->mutable_event() = event;
    send_(message);
  }

 private:
  std::function<bool(const proto::WorkerMessage&)> send_;
  std::string job_id_;
};

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
    // The scheduler re-queues what a lost worker was running.
    AbandonJobs();
    if (registered) backoff = options_.min_backoff;
    if (!Wait(backoff)) break;
    FARM_LOG(INFO) << "reconnecting to the scheduler";
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  AbandonJobs();
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
  }
  bool registered = false;
  if (session->Send(hello)) {
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
        ++heartbeat_nudges_;
      } else if (message.has_assign()) {
        StartJob(session, message.assign());
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
  return registered;
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

void Agent::StartJob(std::shared_ptr<Session> session, proto::StageJob job) {
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
  entry.cancel = std::make_unique<executor::Cancellation>();
  if (stopping_) entry.cancel->Cancel();
  const uint64_t serial = next_thread_++;
  threads_.emplace(serial, std::thread(&Agent::RunJob, this, std::move(session),
                                       id, serial));
}

void Agent::RunJob(std::shared_ptr<Session> session, std::string job_id,
                   uint64_t serial) {
  proto::StageJob spec;
  const executor::Cancellation* cancel = nullptr;
  {
    absl::MutexLock lock(&mu_);
    const Job& job = jobs_.at(job_id);
    spec = job.spec;
    cancel = job.cancel.get();
  }
  StreamEvents events(
      [session](const proto::WorkerMessage& m) { return session->Send(m); },
      job_id);
  absl::StatusOr<proto::StageOutput> output =
      runner_->Run(spec, events, *cancel);
  proto::WorkerMessage message;
  proto::JobResult* result = message.mutable_result();
  result->set_job_id(job_id);
  SetStatusFields(output.status(), result);
  if (output.ok()) *result->mutable_output() = *std::move(output);
  // A job that filled the disk: the scheduler hears before the slot frees.
  std::optional<proto::WorkerMessage> beat;
  {
    absl::MutexLock lock(&mu_);
    const bool was_full = disk_full_;
    if (options_.disk && options_.disk().full != was_full) {
      beat.emplace();
      *beat->mutable_heartbeat() = MakeHeartbeat();
    }
  }
  if (beat.has_value()) session->Send(*beat);
  session->Send(message);
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

bool Agent::Wait(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  auto done = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return Finished(); };
  options_.clock->AwaitWithDeadline(&mu_, absl::Condition(&done),
                                    options_.clock->Now() + delay);
  return !Finished();
}

}  // namespace farm::worker
