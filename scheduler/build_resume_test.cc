// Scheduler failover from the sessions' side, over a journal in memory: a
// build is recorded once its context is in the CAS and forgotten when it
// ends; a session resumed from a record runs the build without its client,
// numbers its events after every event sent before, and records the
// takeover; BuildService::ResumeBuilds starts one session per record.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "auth/authenticator.h"
#include "gtest/gtest.h"
#include "scheduler/build_journal.h"
#include "scheduler/build_session.h"
#include "scheduler/service/build_service.h"
#include "scheduler/session_testing.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

using testing::ContextBuilder;
using testing::kApp;
using testing::Request;

constexpr char kNotice[] =
    "the farm's scheduler changed: build resumed by the new leader";

// A BuildJournal in memory that also keeps every call made to it.
class MemoryJournal : public BuildJournal {
 public:
  absl::Status Record(const proto::BuildRecord& record) override {
    if (on_record) on_record(record);
    absl::MutexLock lock(&mu_);
    records_[record.build_id()] = record;
    recorded_.push_back(record);
    return absl::OkStatus();
  }
  absl::Status Forget(const std::string& build_id) override {
    absl::MutexLock lock(&mu_);
    if (!forget_status.ok()) return forget_status;
    records_.erase(build_id);
    forgotten_.push_back(build_id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<proto::BuildRecord>> Unfinished() override {
    absl::MutexLock lock(&mu_);
    std::vector<proto::BuildRecord> out;
    for (const auto& [id, record] : records_) out.push_back(record);
    return out;
  }

  // Every record written, in order.
  std::vector<proto::BuildRecord> recorded() {
    absl::MutexLock lock(&mu_);
    return recorded_;
  }
  std::vector<std::string> forgotten() {
    absl::MutexLock lock(&mu_);
    return forgotten_;
  }

  // Called with each record before it is kept.
  std::function<void(const proto::BuildRecord&)> on_record;
  // What Forget answers instead of forgetting, when not OK (set before the
  // session runs).
  absl::Status forget_status;

 private:
  absl::Mutex mu_;
  std::map<std::string, proto::BuildRecord> records_ ABSL_GUARDED_BY(mu_);
  std::vector<proto::BuildRecord> recorded_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> forgotten_ ABSL_GUARDED_BY(mu_);
};

// The manifest testing::ManifestMessage sends.
proto::ContextManifest Manifest() {
  return ContextBuilder().File("app.txt", kApp).Build();
}

std::vector<proto::BuildEvent> EventsOf(
    const std::vector<proto::BuildServerMessage>& said) {
  std::vector<proto::BuildEvent> events;
  for (const proto::BuildServerMessage& message : said) {
    if (message.has_event()) events.push_back(message.event());
  }
  return events;
}

class BuildResumeTest : public testing::SessionTest {
 protected:
  SessionDeps Deps() {
    SessionDeps deps = SessionTest::Deps();
    deps.journal = &journal_;
    return deps;
  }

  // What the scheduler before this one recorded of build `id` (of
  // testing::Request()), its context in the CAS.
  proto::BuildRecord RecordOf(const std::string& id, int64_t resumes = 0) {
    const std::string manifest = Manifest().SerializeAsString();
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), manifest).ok());
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), kApp).ok());
    proto::BuildRecord record;
    record.set_build_id(id);
    record.set_tenant("default");
    *record.mutable_request() = Request();
    record.set_manifest_digest(Digest::Of(manifest).ToString());
    record.set_resumes(resumes);
    record.set_started_unix_nanos(1700000000000000000);
    return record;
  }

  // Resumes `record` in a session whose one job the worker has run (its
  // step started and done), and runs it to its end; returns all it said.
  std::vector<proto::BuildServerMessage> Resume(BuildSession& session,
                                                proto::BuildRecord record) {
    session.Resume(std::move(record));
    for (auto kind :
         {proto::BuildEvent::STEP_STARTED, proto::BuildEvent::STEP_DONE}) {
      proto::BuildEvent event;
      event.set_kind(kind);
      event.set_instruction_index(1);
      event.set_text("COPY app.txt /app.txt");
      session.OnJobEvent(PlatformBuilds::JobStage(0, 0), event);
    }
    session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                      WorkerOutput("amd64"));
    return RunToEnd(session);
  }

  MemoryJournal journal_;
};

TEST_F(BuildResumeTest, ABuildIsRecordedAtItsFirstJobAndForgottenAtItsEnd) {
  bool context_complete = false;
  journal_.on_record = [&](const proto::BuildRecord&) {
    context_complete = cache_.blobs()->Contains(Digest::Of(kApp));
  };
  BuildSession session("b1", Deps());
  QueueBuild(session, Request());
  proto::BuildResult result = ResultOf(RunToEnd(session));
  ASSERT_TRUE(result.ok()) << result.error();

  std::vector<proto::BuildRecord> recorded = journal_.recorded();
  ASSERT_EQ(recorded.size(), 1u);
  const proto::BuildRecord& record = recorded[0];
  EXPECT_TRUE(context_complete);
  EXPECT_EQ(record.build_id(), "b1");
  EXPECT_EQ(record.tenant(), "default");
  EXPECT_EQ(record.request().SerializeAsString(),
            Request().SerializeAsString());
  EXPECT_FALSE(record.had_secrets());
  EXPECT_EQ(record.resumes(), 0);
  EXPECT_EQ(record.started_unix_nanos(),
            session.Summary().started_unix_nanos());
  absl::StatusOr<Digest> digest = Digest::Parse(record.manifest_digest());
  ASSERT_TRUE(digest.ok()) << digest.status();
  absl::StatusOr<std::string> blob = cache::GetBlob(*cache_.blobs(), *digest);
  ASSERT_TRUE(blob.ok()) << blob.status();
  proto::ContextManifest manifest;
  ASSERT_TRUE(manifest.ParseFromString(*blob));
  EXPECT_EQ(manifest.SerializeAsString(), Manifest().SerializeAsString());

  EXPECT_EQ(journal_.forgotten(), std::vector<std::string>{"b1"});
  EXPECT_TRUE(journal_.Unfinished()->empty());
}

TEST_F(BuildResumeTest, ABuildThatFailsBeforeItsFirstJobIsNotRecorded) {
  BuildSession session("b1", Deps());
  proto::BuildRequest request = Request();
  request.set_dockerfile("FROM nothere:1\nCOPY app.txt /app.txt\n");
  QueueBuild(session, request);
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(journal_.recorded().empty());
}

TEST_F(BuildResumeTest, ASecretsValueIsNeverRecorded) {
  BuildSession session("b1", Deps());
  proto::BuildRequest request = Request();
  (*request.mutable_secrets())["token"] = "s3cret-value";
  QueueBuild(session, request);
  proto::BuildResult result = ResultOf(RunToEnd(session));
  ASSERT_TRUE(result.ok()) << result.error();

  std::vector<proto::BuildRecord> recorded = journal_.recorded();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_TRUE(recorded[0].had_secrets());
  EXPECT_TRUE(recorded[0].request().secrets().empty());
  EXPECT_FALSE(
      absl::StrContains(recorded[0].SerializeAsString(), "s3cret-value"));
  EXPECT_EQ(recorded[0].request().dockerfile(), Request().dockerfile());
}

// The fence refuses a scheduler that no longer leads its group.
absl::Status LostLead() {
  return absl::FailedPreconditionError("not the leader of /farm");
}

TEST_F(BuildResumeTest, AFailureAfterTheLeadWasLostIsNotToldToTheClient) {
  journal_.forget_status = LostLead();
  BuildSession session("b1", Deps());
  session.Resume(RecordOf("b1"));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0),
                    absl::UnavailableError("the worker could not reach us"),
                    proto::StageOutput());
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);
  for (const proto::BuildServerMessage& message : said) {
    EXPECT_FALSE(message.has_result()) << message.DebugString();
  }
  EXPECT_TRUE(session.finished());
  EXPECT_TRUE(session.handed_over());
}

TEST_F(BuildResumeTest, ASuccessIsToldThoughTheLeadWasLost) {
  journal_.forget_status = LostLead();
  BuildSession session("b1", Deps());
  proto::BuildResult result = ResultOf(Resume(session, RecordOf("b1")));
  EXPECT_TRUE(result.ok()) << result.error();
  EXPECT_FALSE(session.handed_over());
}

TEST_F(BuildResumeTest, AFailureIsToldWhileTheLeadIsHeld) {
  BuildSession session("b1", Deps());
  session.Resume(RecordOf("b1"));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0),
                    absl::InvalidArgumentError("RUN exited with code 1"),
                    proto::StageOutput());
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(session.handed_over());
  EXPECT_EQ(journal_.forgotten(), std::vector<std::string>{"b1"});
}

TEST_F(BuildResumeTest, AResumedBuildRunsToItsEndWithoutItsClient) {
  BuildSession session("b1", Deps());
  std::vector<proto::BuildServerMessage> said = Resume(session, RecordOf("b1"));

  proto::BuildResult result = ResultOf(said);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.jobs_dispatched(), 1);
  EXPECT_TRUE(Asked(said).empty());
  EXPECT_EQ(said.front().accepted().build_id(), "b1");
  absl::StatusOr<ImageInfo> stored = images_->Get("app:1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->record.manifest_digest, result.manifest_digest());

  // Told about the takeover, first; numbered after the old leader's events.
  std::vector<proto::BuildEvent> events = EventsOf(said);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind(), proto::BuildEvent::INFO);
  EXPECT_TRUE(absl::StartsWith(events[0].text(), kNotice)) << events[0].text();
  int64_t last = int64_t{1} << 32;
  for (const proto::BuildEvent& event : events) {
    EXPECT_GT(event.sequence(), last);
    last = event.sequence();
  }

  // The takeover was recorded, then the build forgotten.
  std::vector<proto::BuildRecord> recorded = journal_.recorded();
  ASSERT_EQ(recorded.size(), 1u);
  proto::BuildRecord expected = RecordOf("b1", 1);
  EXPECT_EQ(recorded[0].SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(journal_.forgotten(), std::vector<std::string>{"b1"});
  EXPECT_EQ(session.Summary().started_unix_nanos(),
            expected.started_unix_nanos());
}

TEST_F(BuildResumeTest, AClientFromBeforeTheTakeoverGetsEveryEvent) {
  // Taken over once before: the last leader numbered from 1 << 32 on.
  BuildSession session("b1", Deps());
  std::vector<proto::BuildServerMessage> all =
      Resume(session, RecordOf("b1", 1));
  ASSERT_TRUE(ResultOf(all).ok()) << ResultOf(all).error();
  const int64_t base = int64_t{2} << 32;
  std::vector<proto::BuildEvent> events = EventsOf(all);
  ASSERT_GE(events.size(), 2u);
  EXPECT_GT(events.front().sequence(), base);
  EXPECT_EQ(journal_.recorded().at(0).resumes(), 2);

  for (int64_t after :
       {int64_t{0}, int64_t{17}, (int64_t{1} << 32) + 40, base}) {
    std::vector<proto::BuildServerMessage> followed;
    EXPECT_TRUE(
        session.Follow(after, [&](const proto::BuildServerMessage& message) {
          followed.push_back(message);
          return true;
        }));
    ASSERT_EQ(followed.size(), all.size()) << after;
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(followed[i].SerializeAsString(), all[i].SerializeAsString())
          << after;
    }
    EventPage page = session.EventsAfter(after, 1000, absl::ZeroDuration());
    ASSERT_EQ(page.events.size(), events.size()) << after;
    EXPECT_EQ(page.events.front().text(), events.front().text());
    EXPECT_EQ(page.events.back().sequence(), events.back().sequence());
    EXPECT_TRUE(page.done);
  }

  // From one of this session's own events on: only those after it.
  const int64_t first = events.front().sequence();
  EventPage page = session.EventsAfter(first, 1000, absl::ZeroDuration());
  ASSERT_EQ(page.events.size(), events.size() - 1);
  EXPECT_EQ(page.events.front().sequence(), events[1].sequence());
  std::vector<proto::BuildServerMessage> followed;
  session.Follow(first, [&](const proto::BuildServerMessage& message) {
    followed.push_back(message);
    return true;
  });
  ASSERT_FALSE(followed.empty());
  EXPECT_TRUE(followed.back().has_result());
  EXPECT_EQ(EventsOf(followed).size(), events.size() - 1);
}

TEST_F(BuildResumeTest, AResumedBuildThatUsedSecretsFailsNamingThem) {
  proto::BuildRecord record = RecordOf("b1");
  record.set_had_secrets(true);
  BuildSession session("b1", Deps());
  session.Resume(record);
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(result.error(), "--secret")) << result.error();
  EXPECT_TRUE(absl::StrContains(result.error(), "run it again"))
      << result.error();
  EXPECT_EQ(result.jobs_dispatched(), 0);
  EXPECT_TRUE(journal_.recorded().empty());
  EXPECT_EQ(journal_.forgotten(), std::vector<std::string>{"b1"});
}

TEST_F(BuildResumeTest, AResumedBuildWhoseManifestIsGoneEndsClearly) {
  proto::BuildRecord record = RecordOf("b1");
  const std::string missing = Digest::Of("a manifest never stored").ToString();
  record.set_manifest_digest(missing);
  BuildSession session("b1", Deps());
  session.Resume(record);
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(absl::StrContains(result.error(), "b1")) << result.error();
  EXPECT_TRUE(absl::StrContains(result.error(), "no longer in the cache"))
      << result.error();
  EXPECT_TRUE(absl::StrContains(result.error(), "run it again"))
      << result.error();
  EXPECT_EQ(result.jobs_dispatched(), 0);
  EXPECT_EQ(journal_.forgotten(), std::vector<std::string>{"b1"});
}

TEST_F(BuildResumeTest, AResumedManifestThatDoesNotParseIsDataLoss) {
  proto::BuildRecord record = RecordOf("b1");
  ASSERT_TRUE(cache::PutBlob(*cache_.blobs(), "garbage").ok());
  record.set_manifest_digest(Digest::Of("garbage").ToString());
  BuildSession session("b1", Deps());
  session.Resume(record);
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(), static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(absl::StrContains(result.error(), "context manifest of build b1"))
      << result.error();
}

class ResumeBuildsTest : public BuildResumeTest {
 protected:
  void SetUp() override {
    BuildResumeTest::SetUp();
    auto outbox = core_.WorkerJoined(testing::WorkerFor("w1", {"linux/amd64"}));
    ASSERT_TRUE(outbox.ok()) << outbox.status();
    worker_ = *outbox;
    service_ = std::make_unique<BuildService>(
        [this](const std::string& tenant) -> absl::StatusOr<SessionDeps> {
          SessionDeps deps = Deps();
          deps.tenant = tenant;
          return deps;
        },
        &authenticator_);
  }

  void TearDown() override { service_.reset(); }

  // Plays the worker: takes the job it was given and reports success.
  void FinishTheJob() {
    std::optional<proto::SchedulerMessage> message;
    do {
      message = worker_->Pop(absl::Seconds(10));
    } while (message.has_value() && !message->has_assign());
    ASSERT_TRUE(message.has_value()) << "no job reached the worker";
    proto::WorkerMessage result;
    result.mutable_result()->set_job_id(message->assign().job_id());
    result.mutable_result()->set_ok(true);
    *result.mutable_result()->mutable_output() = WorkerOutput("amd64");
    core_.FromWorker("w1", result);
  }

  auth::Authenticator authenticator_{auth::AuthenticatorOptions{}};
  std::shared_ptr<WorkerOutbox> worker_;
  std::unique_ptr<BuildService> service_;
};

TEST_F(ResumeBuildsTest, ResumesEachRecordOnceUnderItsId) {
  ASSERT_TRUE(journal_.Record(RecordOf("b0a1")).ok());
  absl::StatusOr<int> resumed = service_->ResumeBuilds(journal_);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(*resumed, 1);
  std::shared_ptr<BuildSession> session = service_->FindSession("b0a1");
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->tenant(), "default");

  // The build still runs (its job waits for the worker) and stays in the
  // journal: resuming again leaves it alone.
  resumed = service_->ResumeBuilds(journal_);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(*resumed, 0);
  EXPECT_EQ(service_->Sessions().size(), 1u);

  FinishTheJob();
  std::optional<proto::BuildResult> result;
  session->Follow(0, [&](const proto::BuildServerMessage& message) {
    if (message.has_result()) result = message.result();
    return true;
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok()) << result->error();
  // The session forgets its build after sending the result: once its
  // thread is joined.
  service_.reset();
  EXPECT_TRUE(journal_.Unfinished()->empty());
  std::vector<proto::BuildRecord> recorded = journal_.recorded();
  ASSERT_EQ(recorded.size(), 2u);  // the test's, then the takeover's
  EXPECT_EQ(recorded[1].resumes(), 1);
}

}  // namespace
}  // namespace farm::scheduler
