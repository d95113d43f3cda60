// Agent against a scripted scheduler stream and a scripted job runner:
// registration, concurrent jobs, events and results, heartbeats,
// cancellation, reconnects with backoff, draining and stopping. Time is a
// SimulatedClock the tests move, so no test sleeps through an interval.
// What happens to jobs across a lost stream is agent_keep_jobs_test.
#include "worker/agent.h"

#include <unistd.h>

#include <atomic>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/agent_test_util.h"

namespace farm::worker {
namespace {

using testing::Assign;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Wire;

class AgentTest : public testing::AgentFixture {};

TEST_F(AgentTest, RegistersRunsJobsConcurrentlyAndReportsResults) {
  {
    absl::MutexLock lock(&summary_mu_);
    summary_.bytes = 42;
    summary_.diff_ids = {"sha256:aa", "sha256:bb"};
  }
  AgentOptions options;
  options.slots = 2;
  StartAgent(options);
  std::shared_ptr<Wire> wire = Connected();
  EXPECT_EQ(last_register_.worker_id(), "w1");
  EXPECT_EQ(last_register_.slots(), 2);
  EXPECT_EQ(last_register_.cached_bytes(), 42);
  EXPECT_THAT(last_register_.layers(), ElementsAre("sha256:aa", "sha256:bb"));

  wire->Send(Assign("a"));
  wire->Send(Assign("b"));
  ASSERT_TRUE(runner_.WaitRunning(2));
  EXPECT_EQ(agent_->running(), 2);
  runner_.Release("a");
  std::vector<proto::WorkerMessage> messages;
  while (messages.empty() || !messages.back().has_result()) {
    std::optional<proto::WorkerMessage> m = wire->Next();
    ASSERT_TRUE(m.has_value());
    messages.push_back(*m);
  }
  int events = 0;
  for (const proto::WorkerMessage& m : messages) {
    if (m.has_event()) {
      ++events;
      EXPECT_EQ(m.event().event().text(), m.event().job_id());
    }
  }
  EXPECT_EQ(events, 2);
  EXPECT_EQ(messages.back().result().job_id(), "a");
  EXPECT_TRUE(messages.back().result().ok());
  EXPECT_EQ(messages.back().result().output().final_key(), "key-of-a");

  wire->Send(Assign("fail-c"));
  runner_.Release("fail-c");
  std::optional<proto::WorkerMessage> m;
  do {
    m = wire->Next();
    ASSERT_TRUE(m.has_value());
  } while (!m->has_result());
  EXPECT_EQ(m->result().job_id(), "fail-c");
  EXPECT_FALSE(m->result().ok());
  EXPECT_EQ(m->result().error_code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(m->result().error(), "Dockerfile:2: RUN false: exit code 1");
  EXPECT_EQ(runner_.max_running(), 2);

  agent_->Stop();
  ASSERT_TRUE(Joined());
  EXPECT_TRUE(run_status_->ok());
  EXPECT_THAT(runner_.cancelled(), ElementsAre("b"));
}

TEST_F(AgentTest, HeartbeatsAtTheRegisteredIntervalWithLayerChanges) {
  {
    absl::MutexLock lock(&summary_mu_);
    summary_.bytes = 1;
    summary_.diff_ids = {"sha256:aa"};
  }
  AgentOptions options;
  options.heartbeat = absl::Seconds(60);
  StartAgent(options);
  std::shared_ptr<Wire> wire = Connected(/*interval_ms=*/40);
  wire->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  // Each beat is due 40 ms after the one before (after Registered for the
  // first), not 60 s.
  AdvanceToWait(absl::Milliseconds(40));
  std::optional<proto::Heartbeat> beat = wire->NextHeartbeat();
  ASSERT_TRUE(beat.has_value());
  EXPECT_THAT(beat->running_jobs(), ElementsAre("a"));
  EXPECT_FALSE(beat->draining());
  EXPECT_THAT(beat->layers_added(), IsEmpty());
  {
    absl::MutexLock lock(&summary_mu_);
    summary_.bytes = 7;
    summary_.diff_ids = {"sha256:bb"};
  }
  // The next beat reports the change, and only that one.
  AdvanceToWait(absl::Milliseconds(40));
  beat = wire->NextHeartbeat();
  ASSERT_TRUE(beat.has_value());
  EXPECT_THAT(beat->layers_added(), ElementsAre("sha256:bb"));
  EXPECT_THAT(beat->layers_removed(), ElementsAre("sha256:aa"));
  EXPECT_EQ(beat->cached_bytes(), 7);
  AdvanceToWait(absl::Milliseconds(40));
  beat = wire->NextHeartbeat();
  ASSERT_TRUE(beat.has_value());
  EXPECT_THAT(beat->layers_added(), IsEmpty());
  EXPECT_THAT(beat->layers_removed(), IsEmpty());
  // None comes while the clock stands still.
  EXPECT_FALSE(wire->NextHeartbeat(absl::Milliseconds(20)).has_value());
  runner_.Release("a");
}

TEST_F(AgentTest, CancelStopsOnlyThatJob) {
  AgentOptions options;
  options.slots = 2;
  StartAgent(options);
  std::shared_ptr<Wire> wire = Connected();
  wire->Send(Assign("a"));
  wire->Send(Assign("b"));
  ASSERT_TRUE(runner_.WaitRunning(2));
  proto::SchedulerMessage cancel;
  cancel.mutable_cancel()->set_job_id("a");
  wire->Send(cancel);
  std::optional<proto::WorkerMessage> m;
  do {
    m = wire->Next();
    ASSERT_TRUE(m.has_value());
  } while (!m->has_result());
  EXPECT_EQ(m->result().job_id(), "a");
  EXPECT_EQ(m->result().error_code(),
            static_cast<int>(absl::StatusCode::kCancelled));
  ASSERT_TRUE(runner_.WaitRunning(1));
  EXPECT_THAT(runner_.cancelled(), ElementsAre("a"));
}

TEST_F(AgentTest, ReconnectsWithBackoffAndAbandonsJobsOfALostStream) {
  connector_.FailNext(3);
  AgentOptions options;
  options.min_backoff = absl::Milliseconds(40);
  options.max_backoff = absl::Seconds(5);
  // Jobs are not kept: a lost stream cancels them at once.
  options.keep_jobs = absl::ZeroDuration();
  StartAgent(options);
  // 40, 80, 160 ms apart: each wait doubles.
  for (int i = 0; i < 3; ++i) AdvanceToWait(absl::Milliseconds(40 << i));
  std::shared_ptr<Wire> wire = Connected();
  const absl::Time t0 = absl::UnixEpoch();
  EXPECT_THAT(
      connector_.attempts(),
      ElementsAre(t0, t0 + absl::Milliseconds(40), t0 + absl::Milliseconds(120),
                  t0 + absl::Milliseconds(280)));

  wire->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  wire->Hangup();
  // Registered before: the drop waits only the minimum.
  AdvanceToWait(absl::Milliseconds(40));
  std::shared_ptr<Wire> second = Connected();
  EXPECT_EQ(last_register_.worker_id(), "w1");
  EXPECT_THAT(runner_.cancelled(), ElementsAre("a"));
  EXPECT_EQ(agent_->running(), 0);
  EXPECT_EQ(connector_.attempts().size(), 5u);
}

TEST_F(AgentTest, DrainTellsTheSchedulerFinishesJobsAndEnds) {
  StartAgent();
  std::shared_ptr<Wire> wire = Connected(/*interval_ms=*/60000);
  wire->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  agent_->Drain();
  std::optional<proto::Heartbeat> beat = wire->NextHeartbeat(absl::Seconds(5));
  ASSERT_TRUE(beat.has_value());
  EXPECT_TRUE(beat->draining());
  EXPECT_THAT(beat->running_jobs(), ElementsAre("a"));
  // An assignment that crossed the drain still runs.
  wire->Send(Assign("b"));
  ASSERT_TRUE(runner_.WaitRunning(2));
  EXPECT_FALSE(wire->closed_by_worker);
  runner_.Release("a");
  runner_.Release("b");
  std::set<std::string> results;
  while (results.size() < 2) {
    std::optional<proto::WorkerMessage> m = wire->Next();
    ASSERT_TRUE(m.has_value());
    if (m->has_result()) {
      EXPECT_TRUE(m->result().ok());
      results.insert(m->result().job_id());
    }
  }
  ASSERT_TRUE(Joined());
  EXPECT_TRUE(run_status_->ok());
  EXPECT_TRUE(wire->closed_by_worker);
  EXPECT_THAT(runner_.cancelled(), IsEmpty());
  EXPECT_EQ(connector_.attempts().size(), 1u);
}

TEST_F(AgentTest, DrainWhileIdleEndsAfterTelling) {
  StartAgent();
  std::shared_ptr<Wire> wire = Connected(/*interval_ms=*/60000);
  agent_->Drain();
  std::optional<proto::Heartbeat> beat = wire->NextHeartbeat(absl::Seconds(5));
  ASSERT_TRUE(beat.has_value());
  EXPECT_TRUE(beat->draining());
  ASSERT_TRUE(Joined());
  EXPECT_TRUE(wire->closed_by_worker);
}

TEST_F(AgentTest, TheSchedulersDrainRequestIsReportedOnce) {
  std::atomic<int> drains{0};
  AgentOptions options;
  options.on_drain = [&drains] { ++drains; };
  StartAgent(options);
  std::shared_ptr<Wire> wire = Connected(/*interval_ms=*/60000);
  wire->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  EXPECT_EQ(drains.load(), 0);
  proto::SchedulerMessage drain;
  drain.mutable_drain()->set_reason("an admin asked");
  wire->Send(drain);
  std::optional<proto::Heartbeat> beat = wire->NextHeartbeat(absl::Seconds(5));
  ASSERT_TRUE(beat.has_value());
  EXPECT_TRUE(beat->draining());
  agent_->Drain();  // a signal as well: still one report
  EXPECT_EQ(drains.load(), 1);
  runner_.Release("a");
  ASSERT_TRUE(Joined());
}

TEST_F(AgentTest, WorkAfterAJobFollowsItsResultAndADrainWaitsForIt) {
  absl::Notification let_go;
  std::atomic<int> runs{0};
  AgentOptions options;
  options.after_job = [&](const executor::Cancellation&) {
    ++runs;
    let_go.WaitForNotification();
  };
  // A failed assertion must not leave the agent blocked for TearDown.
  absl::Cleanup release = [&let_go] {
    if (!let_go.HasBeenNotified()) let_go.Notify();
  };
  StartAgent(options);
  std::shared_ptr<Wire> wire = Connected(/*interval_ms=*/60000);
  wire->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  runner_.Release("a");
  // The build hears first; the work after the job comes then.
  std::optional<proto::WorkerMessage> result =
      wire->Until([](const proto::WorkerMessage& m) { return m.has_result(); },
                  absl::Seconds(10));
  ASSERT_TRUE(result.has_value() && result->has_result());
  auto wait_for_runs = [&runs](int n) {
    for (int i = 0; i < 1000 && runs < n; ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return runs.load() == n;
  };
  ASSERT_TRUE(wait_for_runs(1));
  agent_->Drain();
  std::optional<proto::Heartbeat> beat = wire->NextHeartbeat(absl::Seconds(5));
  ASSERT_TRUE(beat.has_value());
  EXPECT_TRUE(beat->draining());
  // The drain runs it once more; the worker stays until both are done.
  ASSERT_TRUE(wait_for_runs(2));
  EXPECT_FALSE(wire->closed_by_worker);
  EXPECT_FALSE(Joined(absl::Milliseconds(100)));
  std::move(release).Invoke();
  ASSERT_TRUE(Joined());
  EXPECT_TRUE(wire->closed_by_worker);
  EXPECT_EQ(runs.load(), 2);
}

TEST_F(AgentTest, StopDuringBackoffReturnsPromptly) {
  connector_.FailNext(1000);
  AgentOptions options;
  options.min_backoff = absl::Seconds(30);
  StartAgent(options);
  // The clock stays put: only Stop can end the 30 s wait.
  ASSERT_TRUE(
      clock_.AwaitWaiter(clock_.Now() + absl::Seconds(30), absl::Seconds(10)));
  agent_->Stop();
  ASSERT_TRUE(Joined());
  EXPECT_EQ(connector_.attempts().size(), 1u);
}

TEST(DefaultWorkerIdTest, IsHostnameDashPid) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(DefaultWorkerId(), absl::StrCat(host, "-", getpid()));
}

TEST_F(AgentTest, AFullDiskIsReportedAndAJobThatChangesItSaysSoFirst) {
  std::atomic<bool> full{true};
  AgentOptions options;
  options.disk = [&full] {
    return DiskReport{full.load(), full ? int64_t{1} << 20 : int64_t{1} << 40};
  };
  StartAgent(options);
  std::shared_ptr<Wire> wire = Connected();  // heartbeats only every minute
  EXPECT_TRUE(last_register_.disk_full());
  EXPECT_EQ(last_register_.disk_free_bytes(), 1 << 20);

  // A job ends with space freed, and another fills the disk again: each
  // time a heartbeat saying so comes before the result.
  for (const bool now_full : {false, true}) {
    const std::string job = now_full ? "filler" : "cleaner";
    wire->Send(Assign(job));
    ASSERT_TRUE(runner_.WaitRunning(1));
    full = now_full;
    wire->heartbeats.clear();
    runner_.Release(job);
    std::optional<proto::WorkerMessage> m = wire->Until(
        [](const auto& m) { return m.has_result(); }, absl::Seconds(10));
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(wire->heartbeats.size(), 1u) << job;
    EXPECT_EQ(wire->heartbeats[0].disk_full(), now_full);
    EXPECT_EQ(wire->heartbeats[0].disk_free_bytes(),
              now_full ? int64_t{1} << 20 : int64_t{1} << 40);
  }
}

}  // namespace
}  // namespace farm::worker
