// What the agent does with its jobs when the scheduler's stream ends: they
// run on, the next registration lists them (trimmed) and their events and
// results go to the new stream, until keep_jobs runs out.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/agent.h"
#include "worker/agent_test_util.h"

namespace farm::worker {
namespace {

using testing::Assign;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::Wire;

class AgentKeepJobsTest : public testing::AgentFixture {
 protected:
  // Polls `done` for up to 10 s of real time.
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return done();
  }
  // The next message other than a heartbeat, if it is a result.
  static std::optional<proto::JobResult> NextResult(Wire& wire) {
    std::optional<proto::WorkerMessage> m = wire.Next();
    if (!m.has_value() || !m->has_result()) return std::nullopt;
    return m->result();
  }
  // The ids of the last registration's kept jobs.
  std::vector<std::string> KeptIds() const {
    std::vector<std::string> ids;
    for (const proto::StageJob& job : last_register_.kept_jobs()) {
      ids.push_back(job.job_id());
    }
    return ids;
  }
};

// A job with every field a kept job either keeps or leaves behind.
proto::SchedulerMessage AssignWithInputs(const std::string& id) {
  proto::SchedulerMessage m = Assign(id);
  proto::StageJob* job = m.mutable_assign();
  job->add_build_ids("build-1");
  job->add_keys("key-0");
  job->add_keys("key-1");
  job->set_no_cache(true);
  job->set_attempt(2);
  job->set_tenant("team");
  job->set_platform("linux/arm64");
  job->mutable_run_limits()->set_pids(64);
  job->mutable_stage()->set_name("build");
  (*job->mutable_build_args())["VERSION"] = "1.2";
  job->mutable_context()->add_entries()->set_path("src/main.c");
  job->set_context_digest("sha256:cc");
  job->mutable_base()->set_final_key("key-of-base");
  (*job->mutable_sources())["stage 0"].add_layers()->set_digest("sha256:ll");
  job->set_looked_up(true);
  (*job->mutable_cached())[1].set_created_by("RUN make");
  (*job->mutable_url_blobs())["https://example.com/a.tgz"] = "sha256:uu";
  (*job->mutable_secrets())["token"] = "hunter2";
  job->set_cache_mount_grant("grant-1");
  return m;
}

TEST_F(AgentKeepJobsTest, AKeptJobReportsToTheNextStream) {
  StartAgent();
  std::shared_ptr<Wire> first = Connected();
  first->Send(AssignWithInputs("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  first->Hangup();
  AdvanceToWait(absl::Milliseconds(200));  // the default min_backoff
  std::shared_ptr<Wire> second = Connected(/*interval_ms=*/40);

  ASSERT_EQ(last_register_.kept_jobs_size(), 1);
  const proto::StageJob& kept = last_register_.kept_jobs(0);
  EXPECT_EQ(kept.job_id(), "a");
  EXPECT_THAT(kept.build_ids(), ElementsAre("build-1"));
  EXPECT_THAT(kept.keys(), ElementsAre("key-0", "key-1"));
  EXPECT_TRUE(kept.no_cache());
  EXPECT_EQ(kept.attempt(), 2);
  EXPECT_EQ(kept.tenant(), "team");
  EXPECT_EQ(kept.platform(), "linux/arm64");
  EXPECT_EQ(kept.run_limits().pids(), 64);
  EXPECT_EQ(kept.stage().name(), "build");
  EXPECT_EQ(kept.build_args().at("VERSION"), "1.2");
  // Its inputs and its secrets stay on the worker.
  EXPECT_FALSE(kept.has_context());
  EXPECT_EQ(kept.context_digest(), "");
  EXPECT_FALSE(kept.has_base());
  EXPECT_TRUE(kept.sources().empty());
  EXPECT_FALSE(kept.looked_up());
  EXPECT_TRUE(kept.cached().empty());
  EXPECT_TRUE(kept.url_blobs().empty());
  EXPECT_TRUE(kept.secrets().empty());
  EXPECT_EQ(kept.cache_mount_grant(), "");

  EXPECT_THAT(runner_.cancelled(), IsEmpty());
  AdvanceToWait(absl::Milliseconds(40));
  std::optional<proto::Heartbeat> beat = second->NextHeartbeat();
  ASSERT_TRUE(beat.has_value());
  EXPECT_THAT(beat->running_jobs(), ElementsAre("a"));
  runner_.Say("a", "still building");
  std::optional<proto::WorkerMessage> event = second->Next();
  ASSERT_TRUE(event.has_value() && event->has_event());
  EXPECT_EQ(event->event().job_id(), "a");
  EXPECT_EQ(event->event().event().text(), "still building");
  runner_.Release("a");
  std::optional<proto::JobResult> result = NextResult(*second);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->job_id(), "a");
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(result->output().final_key(), "key-of-a");
}

TEST_F(AgentKeepJobsTest, AResultFromWhileDisconnectedFollowsTheRegistration) {
  std::atomic<int> after_job{0};
  AgentOptions options;
  options.slots = 2;
  options.after_job = [&after_job](const executor::Cancellation&) {
    ++after_job;
  };
  StartAgent(options);
  std::shared_ptr<Wire> first = Connected();
  first->Send(Assign("a"));
  first->Send(Assign("b"));
  ASSERT_TRUE(runner_.WaitRunning(2));
  first->Hangup();
  runner_.Release("a");
  // Held, and the work after the job done all the same.
  ASSERT_TRUE(Eventually([this] { return agent_->running() == 1; }));
  EXPECT_EQ(after_job.load(), 1);
  AdvanceToWait(absl::Milliseconds(200));
  std::shared_ptr<Wire> second = Connected();
  EXPECT_THAT(KeptIds(), UnorderedElementsAre("a", "b"));
  std::optional<proto::JobResult> result = NextResult(*second);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->job_id(), "a");
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(result->output().final_key(), "key-of-a");
  EXPECT_THAT(runner_.cancelled(), IsEmpty());
  EXPECT_EQ(agent_->running(), 1);
}

TEST_F(AgentKeepJobsTest, JobsKeptTooLongAreCancelledAndForgotten) {
  AgentOptions options;
  options.slots = 2;
  options.keep_jobs = absl::Seconds(10);
  options.min_backoff = absl::Seconds(60);
  options.max_backoff = absl::Seconds(60);
  StartAgent(options);
  std::shared_ptr<Wire> first = Connected();
  first->Send(Assign("a"));
  first->Send(Assign("b"));
  ASSERT_TRUE(runner_.WaitRunning(2));
  first->Hangup();
  runner_.Release("b");
  ASSERT_TRUE(Eventually([this] { return agent_->running() == 1; }));
  // The wait to reconnect ends early, when the jobs' time is up.
  AdvanceToWait(absl::Seconds(10));
  ASSERT_TRUE(Eventually([this] { return agent_->running() == 0; }));
  EXPECT_THAT(runner_.cancelled(), ElementsAre("a"));
  AdvanceToWait(absl::Seconds(50));
  std::shared_ptr<Wire> second = Connected();
  EXPECT_THAT(last_register_.kept_jobs(), IsEmpty());
  // b's held result went with them.
  EXPECT_FALSE(second->Next(absl::Milliseconds(100)).has_value());
  EXPECT_EQ(connector_.attempts().size(), 2u);
}

TEST_F(AgentKeepJobsTest, ZeroKeepsNothing) {
  AgentOptions options;
  options.keep_jobs = absl::ZeroDuration();
  options.min_backoff = absl::Seconds(60);
  StartAgent(options);
  std::shared_ptr<Wire> first = Connected();
  first->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  first->Hangup();
  // Cancelled with the clock standing still.
  ASSERT_TRUE(Eventually([this] { return agent_->running() == 0; }));
  EXPECT_THAT(runner_.cancelled(), ElementsAre("a"));
  AdvanceToWait(absl::Seconds(60));
  std::shared_ptr<Wire> second = Connected();
  EXPECT_THAT(last_register_.kept_jobs(), IsEmpty());
  EXPECT_FALSE(second->Next(absl::Milliseconds(100)).has_value());
}

TEST_F(AgentKeepJobsTest, TheNextSchedulerCancelsAKeptJob) {
  AgentOptions options;
  options.slots = 2;
  StartAgent(options);
  std::shared_ptr<Wire> first = Connected();
  first->Send(Assign("a"));
  first->Send(Assign("b"));
  ASSERT_TRUE(runner_.WaitRunning(2));
  first->Hangup();
  AdvanceToWait(absl::Milliseconds(200));
  std::shared_ptr<Wire> second = Connected();
  EXPECT_THAT(KeptIds(), UnorderedElementsAre("a", "b"));
  proto::SchedulerMessage cancel;
  cancel.mutable_cancel()->set_job_id("a");
  second->Send(cancel);
  std::optional<proto::JobResult> result = NextResult(*second);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->job_id(), "a");
  EXPECT_EQ(result->error_code(),
            static_cast<int>(absl::StatusCode::kCancelled));
  EXPECT_THAT(runner_.cancelled(), ElementsAre("a"));
  runner_.Release("b");
  result = NextResult(*second);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->job_id(), "b");
  EXPECT_TRUE(result->ok());
}

TEST_F(AgentKeepJobsTest, ADrainOutlivesALostStreamToDeliverItsLastResult) {
  StartAgent();
  std::shared_ptr<Wire> first = Connected();
  first->Send(Assign("a"));
  ASSERT_TRUE(runner_.WaitRunning(1));
  agent_->Drain();
  std::optional<proto::Heartbeat> beat = first->NextHeartbeat();
  ASSERT_TRUE(beat.has_value() && beat->draining());
  first->Hangup();
  runner_.Release("a");
  ASSERT_TRUE(Eventually([this] { return agent_->running() == 0; }));
  // Its result is held: the drain is not over.
  EXPECT_FALSE(Joined(absl::Milliseconds(100)));
  AdvanceToWait(absl::Milliseconds(200));
  std::shared_ptr<Wire> second = Connected();
  EXPECT_THAT(KeptIds(), ElementsAre("a"));
  std::optional<proto::JobResult> result = NextResult(*second);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->job_id(), "a");
  EXPECT_TRUE(result->ok());
  beat = second->NextHeartbeat();
  ASSERT_TRUE(beat.has_value() && beat->draining());
  ASSERT_TRUE(Joined());
  EXPECT_TRUE(second->closed_by_worker);
  EXPECT_THAT(runner_.cancelled(), IsEmpty());
}

}  // namespace
}  // namespace farm::worker
