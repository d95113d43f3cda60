// Test support for the agent: a scripted scheduler stream (Wire) opened by a
// fake connector, a job runner the test releases job by job, and a fixture
// that runs an Agent on a SimulatedClock, so that no test sleeps through an
// interval.
#ifndef FARM_WORKER_AGENT_TEST_UTIL_H_
#define FARM_WORKER_AGENT_TEST_UTIL_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/blocking_queue.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "worker/agent.h"

namespace farm::worker::testing {

// Both directions of one Connect stream; the test keeps it after the agent
// has dropped its end.
struct Wire {
  BlockingQueue<proto::SchedulerMessage> to_worker;
  BlockingQueue<proto::WorkerMessage> from_worker;
  std::atomic<bool> closed_by_worker{false};

  void Send(const proto::SchedulerMessage& message) { to_worker.Push(message); }
  // Ends the stream from the scheduler's side.
  void Hangup() {
    to_worker.Close();
    from_worker.Close();
  }
  // The next message `wanted` accepts; the others are set aside.
  std::optional<proto::WorkerMessage> Until(
      const std::function<bool(const proto::WorkerMessage&)>& wanted,
      absl::Duration timeout);
  // The next message other than a heartbeat.
  std::optional<proto::WorkerMessage> Next(
      absl::Duration timeout = absl::Seconds(10));
  std::optional<proto::Heartbeat> NextHeartbeat(
      absl::Duration timeout = absl::Seconds(10));
  std::vector<proto::Heartbeat> heartbeats;
  std::vector<proto::WorkerMessage> others;
};

class FakeStream : public WorkerStream {
 public:
  explicit FakeStream(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  bool Read(proto::SchedulerMessage* message) override;
  bool Write(const proto::WorkerMessage& message) override;
  void Close() override;

 private:
  std::shared_ptr<Wire> wire_;
};

class FakeConnector : public WorkerConnector {
 public:
  explicit FakeConnector(const Clock* clock) : clock_(clock) {}
  absl::StatusOr<std::unique_ptr<WorkerStream>> Connect() override;
  void FailNext(int n) {
    absl::MutexLock lock(&mu_);
    failures_ = n;
  }
  std::vector<absl::Time> attempts() const {
    absl::MutexLock lock(&mu_);
    return attempts_;
  }
  // Streams as the agent opens them.
  BlockingQueue<std::shared_ptr<Wire>> wires;

 private:
  const Clock* clock_;
  mutable absl::Mutex mu_;
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<absl::Time> attempts_ ABSL_GUARDED_BY(mu_);
};

// Runs each job until the test releases it or it is cancelled. Jobs named
// fail-* fail.
class FakeRunner : public JobRunner {
 public:
  absl::StatusOr<proto::StageOutput> Run(
      const proto::StageJob& job, EventSink& events,
      const executor::Cancellation& cancel) override;
  void Release(const std::string& id) {
    absl::MutexLock lock(&mu_);
    released_.insert(id);
  }
  // Has the running job `id` emit a STEP_LOG event with `text`, from its
  // own thread.
  void Say(const std::string& id, const std::string& text) {
    absl::MutexLock lock(&mu_);
    to_say_[id].push_back(text);
  }
  bool WaitRunning(int n);
  int max_running() const {
    absl::MutexLock lock(&mu_);
    return max_running_;
  }
  std::vector<std::string> cancelled() const {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

 private:
  mutable absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int max_running_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> released_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> to_say_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> cancelled_ ABSL_GUARDED_BY(mu_);
};

proto::SchedulerMessage Registered(int64_t interval_ms);
proto::SchedulerMessage Assign(const std::string& id);

// An Agent ("w1") on a SimulatedClock, over FakeConnector and FakeRunner.
class AgentFixture : public ::testing::Test {
 protected:
  void StartAgent(AgentOptions options = {});
  // The next stream, registered with `interval_ms` heartbeats; its
  // registration is in last_register_.
  std::shared_ptr<Wire> Connected(int64_t interval_ms = 60000);
  // Waits for Run to return, at most `timeout`.
  bool Joined(absl::Duration timeout = absl::Seconds(10));
  void TearDown() override;
  // Ends the wait that is due by clock_.Now() + `after`, which must be
  // the earliest one pending.
  void AdvanceToWait(absl::Duration after);

  SimulatedClock clock_;
  FakeConnector connector_{&clock_};
  FakeRunner runner_;
  absl::Mutex summary_mu_;
  snapshot::StoreSummary summary_ ABSL_GUARDED_BY(summary_mu_);
  std::unique_ptr<Agent> agent_;
  std::thread thread_;
  absl::Notification run_finished_;
  std::optional<absl::Status> run_status_;
  proto::RegisterWorker last_register_;
};

}  // namespace farm::worker::testing

#endif  // FARM_WORKER_AGENT_TEST_UTIL_H_
