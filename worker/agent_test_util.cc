#include "worker/agent_test_util.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace farm::worker::testing {

std::optional<proto::WorkerMessage> Wire::Until(
    const std::function<bool(const proto::WorkerMessage&)>& wanted,
    absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (std::optional<proto::WorkerMessage> m =
             from_worker.Pop(deadline - absl::Now())) {
    if (wanted(*m)) return m;
    if (m->has_heartbeat()) {
      heartbeats.push_back(m->heartbeat());
    } else {
      others.push_back(*m);
    }
  }
  return std::nullopt;
}

std::optional<proto::WorkerMessage> Wire::Next(absl::Duration timeout) {
  return Until([](const auto& m) { return !m.has_heartbeat(); }, timeout);
}

std::optional<proto::Heartbeat> Wire::NextHeartbeat(absl::Duration timeout) {
  std::optional<proto::WorkerMessage> m =
      Until([](const auto& m) { return m.has_heartbeat(); }, timeout);
  if (!m.has_value()) return std::nullopt;
  return m->heartbeat();
}

bool FakeStream::Read(proto::SchedulerMessage* message) {
  std::optional<proto::SchedulerMessage> m = wire_->to_worker.Pop();
  if (!m.has_value()) return false;
  *message = *std::move(m);
  return true;
}

bool FakeStream::Write(const proto::WorkerMessage& message) {
  return wire_->from_worker.Push(message);
}

void FakeStream::Close() {
  wire_->closed_by_worker = true;
  wire_->to_worker.Close();
}

absl::StatusOr<std::unique_ptr<WorkerStream>> FakeConnector::Connect() {
  absl::MutexLock lock(&mu_);
  attempts_.push_back(clock_->Now());
  if (failures_ > 0) {
    --failures_;
    return absl::UnavailableError("connection refused");
  }
  auto wire = std::make_shared<Wire>();
  wires.Push(wire);
  return std::unique_ptr<WorkerStream>(new FakeStream(wire));
}

absl::StatusOr<proto::StageOutput> FakeRunner::Run(
    const proto::StageJob& job, EventSink& events,
    const executor::Cancellation& cancel) {
  // The event goes out before the job counts as running, so a test that
  // waits for N running jobs has seen all N events queued.
  proto::BuildEvent started;
  started.set_kind(proto::BuildEvent::STEP_STARTED);
  started.set_text(job.job_id());
  events.Emit(started);
  absl::MutexLock lock(&mu_);
  ++running_;
  max_running_ = std::max(max_running_, running_);
  auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return released_.count(job.job_id()) > 0 || cancel.IsCancelled() ||
           to_say_.count(job.job_id()) > 0;
  };
  while (true) {
    while (!woken()) {
      mu_.AwaitWithTimeout(absl::Condition(&woken), absl::Milliseconds(5));
    }
    auto say = to_say_.find(job.job_id());
    if (say == to_say_.end()) break;
    std::vector<std::string> texts = std::move(say->second);
    to_say_.erase(say);
    mu_.Unlock();
    for (const std::string& text : texts) {
      proto::BuildEvent log;
      log.set_kind(proto::BuildEvent::STEP_LOG);
      log.set_text(text);
      events.Emit(log);
    }
    mu_.Lock();
  }
  --running_;
  if (cancel.IsCancelled()) {
    cancelled_.push_back(job.job_id());
    return absl::CancelledError("cancelled");
  }
  if (absl::StartsWith(job.job_id(), "fail")) {
    return absl::InvalidArgumentError("Dockerfile:2: RUN false: exit code 1");
  }
  proto::StageOutput output;
  output.set_final_key(absl::StrCat("key-of-", job.job_id()));
  return output;
}

bool FakeRunner::WaitRunning(int n) {
  absl::MutexLock lock(&mu_);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return running_ == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
}

proto::SchedulerMessage Registered(int64_t interval_ms) {
  proto::SchedulerMessage m;
  m.mutable_registered()->set_worker_id("w1");
  m.mutable_registered()->set_heartbeat_interval_ms(interval_ms);
  return m;
}

proto::SchedulerMessage Assign(const std::string& id) {
  proto::SchedulerMessage m;
  m.mutable_assign()->set_job_id(id);
  return m;
}

void AgentFixture::StartAgent(AgentOptions options) {
  if (options.worker_id.empty()) options.worker_id = "w1";
  options.clock = &clock_;
  agent_ = std::make_unique<Agent>(options, &connector_, &runner_, [this] {
    absl::MutexLock lock(&summary_mu_);
    return summary_;
  });
  thread_ = std::thread([this] {
    run_status_ = agent_->Run();
    run_finished_.Notify();
  });
}

std::shared_ptr<Wire> AgentFixture::Connected(int64_t interval_ms) {
  std::optional<std::shared_ptr<Wire>> wire =
      connector_.wires.Pop(absl::Seconds(10));
  EXPECT_TRUE(wire.has_value());
  if (!wire.has_value()) return std::make_shared<Wire>();
  std::optional<proto::WorkerMessage> hello = (*wire)->Next();
  EXPECT_TRUE(hello.has_value() && hello->has_register_());
  if (hello.has_value()) last_register_ = hello->register_();
  (*wire)->Send(Registered(interval_ms));
  return *wire;
}

bool AgentFixture::Joined(absl::Duration timeout) {
  if (!run_finished_.WaitForNotificationWithTimeout(timeout)) return false;
  thread_.join();
  return true;
}

void AgentFixture::TearDown() {
  if (agent_) agent_->Stop();
  if (thread_.joinable()) thread_.join();
}

void AgentFixture::AdvanceToWait(absl::Duration after) {
  const absl::Time due = clock_.Now() + after;
  ASSERT_TRUE(clock_.AwaitWaiter(due, absl::Seconds(10)))
      << "nothing waits for " << after;
  EXPECT_FALSE(
      clock_.AwaitWaiter(due - absl::Nanoseconds(1), absl::ZeroDuration()))
      << "a wait ends before " << after;
  clock_.Set(due);
}

}  // namespace farm::worker::testing
