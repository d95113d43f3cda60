// What a BuildSession says while it runs: progress events (numbered steps,
// clipped logs), a replay for a client that re-attaches, and archives
// streamed from the spool.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "scheduler/build_session.h"
#include "scheduler/session_testing.h"

namespace farm::scheduler {
namespace {

using testing::Request;

class BuildSessionEventsTest : public testing::SessionTest {
 protected:
  // An event from the worker "w1" about instruction `instruction` of the
  // only stage.
  static proto::BuildEvent WorkerEvent(proto::BuildEvent::Kind kind,
                                       int instruction,
                                       const std::string& text) {
    proto::BuildEvent event;
    event.set_kind(kind);
    event.set_stage_index(0);
    event.set_instruction_index(instruction);
    event.set_text(text);
    event.set_stream(1);
    event.set_worker("w1");
    return event;
  }

  void Queue(BuildSession& session, const proto::BuildEvent& event) {
    session.OnJobEvent(PlatformBuilds::JobStage(0, 0), event);
  }

  // The events that came from the worker, in order.
  static std::vector<proto::BuildEvent> FromWorker(
      const std::vector<proto::BuildServerMessage>& said) {
    std::vector<proto::BuildEvent> out;
    for (const proto::BuildServerMessage& message : said) {
      if (message.has_event() && message.event().worker() == "w1") {
        out.push_back(message.event());
      }
    }
    return out;
  }
};

TEST_F(BuildSessionEventsTest, AStepKeepsItsNumberAndNamesItsInstruction) {
  BuildSession session("b1", Deps());
  session.FromClient(testing::RequestMessage(Request()));
  session.FromClient(testing::ManifestMessage());
  session.FromClient(testing::BlobMessage(testing::kApp, testing::kApp, true));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_STARTED, 1,
                             "COPY app.txt /app.txt"));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 1, "copying\n"));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_DONE, 1, ""));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);
  ASSERT_TRUE(ResultOf(said).ok()) << ResultOf(said).error();

  std::vector<proto::BuildEvent> events = FromWorker(said);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_GT(events[0].step(), 0);
  EXPECT_EQ(events[1].step(), events[0].step());
  EXPECT_EQ(events[2].step(), events[0].step());
  EXPECT_EQ(events[1].text(), "copying\n");
  // The last event carried no text; it names its instruction all the same.
  EXPECT_EQ(events[2].text(), "COPY app.txt /app.txt");
  for (const proto::BuildEvent& event : events) {
    EXPECT_NE(event.timestamp_unix_nanos(), 0);
    EXPECT_TRUE(event.platform().empty());  // one platform: none named
  }
  // Every event is numbered in the order it was said.
  int64_t last = 0;
  for (const proto::BuildServerMessage& message : said) {
    if (!message.has_event()) continue;
    EXPECT_GT(message.event().sequence(), last);
    last = message.event().sequence();
  }
}

TEST_F(BuildSessionEventsTest, AStepsLogPastItsLimitIsClippedOnce) {
  SessionDeps deps = Deps();
  deps.step_log_limit = 10;
  BuildSession session("b1", std::move(deps));
  session.FromClient(testing::RequestMessage(Request()));
  session.FromClient(testing::ManifestMessage());
  session.FromClient(testing::BlobMessage(testing::kApp, testing::kApp, true));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 1, "12345678\n"));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 1, "abcdefgh\n"));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 1, "dropped\n"));
  // Another step has a limit of its own.
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 0, "other\n"));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);

  std::vector<proto::BuildEvent> logs = FromWorker(said);
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].text(), "12345678\n");
  EXPECT_EQ(logs[1].text(),
            "[output clipped, the log limit of 10 bytes per step was "
            "reached]\n");
  EXPECT_EQ(logs[1].stream(), 2);
  EXPECT_EQ(logs[2].text(), "other\n");
  EXPECT_EQ(logs[2].instruction_index(), 0);
}

TEST_F(BuildSessionEventsTest, TheBuildsLogLimitClipsEveryStep) {
  SessionDeps deps = Deps();
  deps.step_log_limit = 0;
  deps.build_log_limit = int64_t{1} << 20;
  BuildSession session("b1", std::move(deps));
  session.FromClient(testing::RequestMessage(Request()));
  session.FromClient(testing::ManifestMessage());
  session.FromClient(testing::BlobMessage(testing::kApp, testing::kApp, true));
  const std::string big(600 << 10, 'x');
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 0, big));
  Queue(session, WorkerEvent(proto::BuildEvent::STEP_LOG, 1, big));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  std::vector<proto::BuildEvent> logs = FromWorker(RunToEnd(session));
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0].text(), big);
  EXPECT_EQ(logs[1].text(),
            "[output clipped, the log limit of 1 MiB per build was reached]\n");
}

TEST_F(BuildSessionEventsTest, AReattachedClientGetsWhatFollowsItsSequence) {
  BuildSession session("b1", Deps());
  QueueBuild(session, Request());
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);
  ASSERT_GE(said.size(), 3u);
  std::vector<proto::BuildServerMessage> replay;
  EXPECT_TRUE(session.Follow(2, [&](const proto::BuildServerMessage& message) {
    replay.push_back(message);
    return true;
  }));
  ASSERT_EQ(replay.size(), said.size() - 2);
  for (size_t i = 0; i < replay.size(); ++i) {
    EXPECT_EQ(replay[i].SerializeAsString(), said[i + 2].SerializeAsString());
  }
  // A client whose stream breaks stops the replay.
  int writes = 0;
  EXPECT_FALSE(session.Follow(0, [&](const proto::BuildServerMessage&) {
    ++writes;
    return false;
  }));
  EXPECT_EQ(writes, 1);
}

TEST_F(BuildSessionEventsTest, AnArchiveIsStreamedThenReleased) {
  proto::BuildRequest request = Request();
  request.add_outputs("docker");
  BuildSession session("b1", Deps());
  QueueBuild(session, request);
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);
  ASSERT_TRUE(ResultOf(said).ok()) << ResultOf(said).error();

  std::string archive;
  bool closed = false;
  for (const proto::BuildServerMessage& message : said) {
    if (!message.has_output()) continue;
    EXPECT_FALSE(closed) << "data after the closing chunk";
    EXPECT_EQ(message.output().format(), "docker");
    archive += message.output().data();
    closed = message.output().last();
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(said.back().has_result());
  // A docker-archive: a tar with Docker's manifest.json.
  ASSERT_GT(archive.size(), 512u);
  EXPECT_NE(archive.find("manifest.json"), std::string::npos);

  const std::string spooled =
      JoinPath(Deps().spool_dir, "output-b1-docker.tar");
  EXPECT_TRUE(PathExists(spooled));
  session.ReleaseOutputs();
  EXPECT_FALSE(PathExists(spooled));
}

TEST_F(BuildSessionEventsTest, AnUnknownOutputFormatFailsTheBuild) {
  proto::BuildRequest request = Request();
  request.add_outputs("zip");
  BuildSession session("b1", Deps());
  QueueBuild(session, request);
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(result.error(),
            "unknown archive format \"zip\": want docker or oci");
}

}  // namespace
}  // namespace farm::scheduler
