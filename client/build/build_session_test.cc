#include "client/build/build_session.h"

#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "client/build/fake_build_stream.h"
#include "client/build/session_testing.h"
#include "client/context/context_walker.h"
#include "client/context/test_tree.h"
#include "client/progress/testing_events.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

using namespace testing;  // NOLINT: the farm side's helpers

std::string D(const std::string& s) { return Digest::Of(s).ToString(); }

class BuildSessionTest : public SessionTest {
 protected:
  void SetUp() override {
    big_ = std::string(2500000, 'x');
    big_[1234567] = 'y';
    tree_.Write("Dockerfile", "FROM busybox\nCOPY . /app\n");
    tree_.Write("app/main.py", "print('hi')\n");
    tree_.Write("app/big.bin", big_);
    tree_.Write("empty", "");
    WalkTree();
  }

  SessionOptions Options() {
    SessionOptions o = BaseOptions();
    o.request.set_dockerfile("FROM busybox\nCOPY . /app\n");
    o.request.add_tags("app:1");
    o.manifest_chunk_bytes = 100;  // several chunks even for this context
    o.blob_chunk_bytes = 1 << 20;
    o.first_backoff = absl::Milliseconds(1);
    o.max_backoff = absl::Milliseconds(4);
    o.max_attach_attempts = 3;
    return o;
  }

  // Until the client has taken in BuildAccepted, so the build has its id.
  void WaitUntilAccepted() {
    while (printer_.accepted().empty()) absl::SleepFor(absl::Milliseconds(1));
  }

  // Events from the farm (sequence > 0) the printer got, as their texts.
  std::vector<std::string> FarmEventTexts() const {
    std::vector<std::string> out;
    for (const proto::BuildEvent& e : printer_.events()) {
      if (e.sequence() > 0) out.push_back(e.text());
    }
    return out;
  }

  std::string big_;
};

auto Reader(FarmCall& call) {
  return [&call](proto::BuildClientMessage* m) { return call.Read(m); };
}

TEST_F(BuildSessionTest, SendsContextUploadsWhatIsAskedAndWritesOutputs) {
  std::string got_small, got_big, got_empty;
  Opening opening;
  FakeFarm farm([&](FarmCall& call, int n) {
    opening = ReadOpening(Reader(call));
    call.Write(Accepted("b-1"));
    call.Write(Event(1, proto::BuildEvent::STEP_STARTED, 1, "COPY . /app"));
    call.Write(Need({D("print('hi')\n"), D(big_), D("")}));
    got_small = ReadBlob(Reader(call), D("print('hi')\n"));
    got_big = ReadBlob(Reader(call), D(big_));
    got_empty = ReadBlob(Reader(call), D(""));
    call.Write(Event(2, proto::BuildEvent::STEP_DONE, 1, ""));
    call.Write(Output("docker", "tar-part-1|", false));
    call.Write(Output("docker", "tar-part-2", true));
    call.Write(Result(true));
    proto::BuildClientMessage m;
    EXPECT_FALSE(call.Read(&m)) << "the client half-closes after the result";
  });
  context::TempTree out;  // outside the context
  std::string dest = out.Path("image.tar");
  auto outputs = OutputFiles::Create({{"docker", dest}}, 1);
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  SessionOptions options = Options();
  options.outputs = outputs->get();
  BuildSession session(&farm, options);

  absl::StatusOr<proto::BuildResult> result = session.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(result->image_id(), "sha256:feed");
  EXPECT_EQ(session.build_id(), "b-1");

  EXPECT_EQ(opening.request.tags(0), "app:1");
  EXPECT_EQ(opening.manifest.SerializeAsString(),
            snap_.manifest.SerializeAsString());
  EXPECT_GT(opening.manifest_chunks, 2);
  EXPECT_EQ(got_small, "print('hi')\n");
  EXPECT_TRUE(got_big == big_) << "the big blob arrived changed";
  EXPECT_EQ(got_empty, "");
  EXPECT_EQ(session.uploaded_bytes(), 12 + 2500000);

  EXPECT_EQ(printer_.accepted(), std::vector<std::string>{"b-1"});
  EXPECT_EQ(FarmEventTexts(), (std::vector<std::string>{"COPY . /app", ""}));
  ASSERT_TRUE((*outputs)->Commit().ok());
  absl::StatusOr<std::string> archive = ReadFile(dest);
  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_EQ(*archive, "tar-part-1|tar-part-2");
}

TEST_F(BuildSessionTest, CtrlCSendsACancelAndWaitsForTheResult) {
  absl::Notification building;
  std::string reason;
  FakeFarm farm([&](FarmCall& call, int n) {
    ReadOpening(Reader(call));
    call.Write(Accepted("b-2"));
    call.Write(Event(1, proto::BuildEvent::STEP_STARTED, 1, "RUN sleep 100"));
    building.Notify();
    proto::BuildClientMessage m;
    while (call.Read(&m) && !m.has_cancel()) {
    }
    reason = m.cancel().reason();
    call.Write(Result(false, "build cancelled: " + reason));
  });
  BuildSession session(&farm, Options());
  std::thread user([&] {
    building.WaitForNotification();
    session.Interrupt();
  });
  absl::StatusOr<proto::BuildResult> result = session.Run();
  user.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(result->error(), "build cancelled: interrupted by the user");
  EXPECT_EQ(reason, "interrupted by the user");
  EXPECT_TRUE(session.interrupted());
}

// A farm that accepts build `id`, then reads until the call ends, ignoring
// any CancelRequest; it notifies `cancel_seen` when one arrives.
FakeFarm::Script IgnoringFarm(const std::string& id,
                              absl::Notification* cancel_seen) {
  return [=](FarmCall& call, int n) {
    ReadOpening(Reader(call));
    call.Write(Accepted(id));
    proto::BuildClientMessage m;
    while (call.Read(&m)) {
      if (m.has_cancel() && !cancel_seen->HasBeenNotified()) {
        cancel_seen->Notify();
      }
    }
    EXPECT_TRUE(call.cancelled());
  };
}

TEST_F(BuildSessionTest, SecondCtrlCHangsUpAtOnce) {
  absl::Notification cancel_seen;
  FakeFarm farm(IgnoringFarm("b-3", &cancel_seen));
  SessionOptions options = Options();
  options.cancel_grace = absl::Hours(1);
  BuildSession session(&farm, options);
  std::thread user([&] {
    WaitUntilAccepted();
    session.Interrupt();
    cancel_seen.WaitForNotification();
    session.Interrupt();
  });
  absl::StatusOr<proto::BuildResult> result = session.Run();
  user.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(result.status().message(), "build b-3 cancelled");
}

TEST_F(BuildSessionTest, FarmThatIgnoresTheCancelIsLeftAfterTheGrace) {
  absl::Notification cancel_seen;
  FakeFarm farm(IgnoringFarm("b-4", &cancel_seen));
  SessionOptions options = Options();
  options.cancel_grace = absl::Milliseconds(50);
  BuildSession session(&farm, options);
  std::thread user([&] {
    WaitUntilAccepted();
    session.Interrupt();
  });
  absl::StatusOr<proto::BuildResult> result = session.Run();
  user.join();
  EXPECT_TRUE(cancel_seen.HasBeenNotified());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(result.status().message(), "build b-4 cancelled");
}

TEST_F(BuildSessionTest, HangUpDropsTheCallWithoutACancel) {
  absl::Notification cancel_seen;
  FakeFarm farm(IgnoringFarm("b-11", &cancel_seen));
  BuildSession session(&farm, Options());
  std::thread terminator([&] {
    WaitUntilAccepted();
    session.HangUp();
  });
  absl::StatusOr<proto::BuildResult> result = session.Run();
  terminator.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(result.status().message(), "build b-11 cancelled");
  EXPECT_FALSE(cancel_seen.HasBeenNotified());
  for (const proto::BuildEvent& e : printer_.events()) {
    EXPECT_NE(e.kind(), proto::BuildEvent::INFO) << e.text();
  }
}

TEST_F(BuildSessionTest, CtrlCBeforeTheBuildStartsSendsNothing) {
  FakeFarm farm([&](FarmCall& call, int n) {});
  BuildSession session(&farm, Options());
  session.Interrupt();
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(farm.calls(), 0);
}

TEST_F(BuildSessionTest, ReattachesAfterADroppedConnection) {
  proto::AttachRequest attach;
  FakeFarm farm([&](FarmCall& call, int n) {
    proto::BuildClientMessage m;
    if (n == 0) {
      ReadOpening(Reader(call));
      call.Write(Accepted("b-5"));
      call.Write(Event(1, proto::BuildEvent::STEP_STARTED, 1, "one"));
      call.Write(Event(2, proto::BuildEvent::STEP_LOG, 1, "two"));
      call.Write(Output("oci", "partial", false));
      call.Finish(absl::UnavailableError("Socket closed"));
      return;
    }
    if (n == 1) {  // the scheduler is still down
      call.Finish(absl::UnavailableError("failed to connect"));
      return;
    }
    ASSERT_TRUE(call.Read(&m));
    ASSERT_TRUE(m.has_attach()) << m.DebugString();
    attach = m.attach();
    // The farm replays from its own bookkeeping; the client drops repeats.
    call.Write(Event(2, proto::BuildEvent::STEP_LOG, 1, "two"));
    call.Write(Event(3, proto::BuildEvent::STEP_DONE, 1, "three"));
    call.Write(Output("oci", "whole archive", true));
    call.Write(Result(true));
  });
  context::TempTree out;
  std::string dest = out.Path("oci.tar");
  auto outputs = OutputFiles::Create({{"oci", dest}}, 1);
  ASSERT_TRUE(outputs.ok());
  SessionOptions options = Options();
  options.outputs = outputs->get();
  BuildSession session(&farm, options);
  absl::StatusOr<proto::BuildResult> result = session.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(farm.calls(), 3);
  EXPECT_EQ(session.reattachments(), 2);
  EXPECT_EQ(attach.build_id(), "b-5");
  EXPECT_EQ(attach.after_sequence(), 2);
  EXPECT_EQ(FarmEventTexts(),
            (std::vector<std::string>{"one", "two", "three"}));
  ASSERT_TRUE((*outputs)->Commit().ok());
  EXPECT_EQ(*ReadFile(dest), "whole archive");
  // The user was told.
  bool told = false;
  for (const proto::BuildEvent& e : printer_.events()) {
    told |= e.text() ==
            "lost the connection to the farm (Socket closed); re-attaching "
            "to build b-5 in 0.0s (attempt 1 of 3)";
  }
  EXPECT_TRUE(told);
}

TEST_F(BuildSessionTest, BuildUnknownAfterReconnectIsReportedClearly) {
  FakeFarm farm([&](FarmCall& call, int n) {
    if (n == 0) {
      ReadOpening(Reader(call));
      call.Write(Accepted("b-6"));
      call.Finish(absl::UnavailableError("Socket closed"));
      return;
    }
    call.Finish(absl::NotFoundError(
        "build b-6 is not known to this scheduler (it may have restarted); "
        "run the build again"));
  });
  BuildSession session(&farm, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(),
            "re-attaching to build b-6: build b-6 is not known to this "
            "scheduler (it may have restarted); run the build again");
}

TEST_F(BuildSessionTest, GivesUpAfterTheLastAttempt) {
  FakeFarm farm([&](FarmCall& call, int n) {
    if (n == 0) {
      ReadOpening(Reader(call));
      call.Write(Accepted("b-7"));
    }
    call.Finish(absl::UnavailableError("connection refused"));
  });
  BuildSession session(&farm, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(farm.calls(), 4);  // the build, then 3 attempts
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(),
            "lost the connection to the farm during build b-7 and could not "
            "re-attach after 3 attempts: connection refused");
}

TEST_F(BuildSessionTest, UnreachableFarmFailsWithoutRetrying) {
  FakeFarm farm([&](FarmCall& call, int n) {
    call.Finish(absl::UnavailableError("failed to connect to all addresses"));
  });
  BuildSession session(&farm, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(farm.calls(), 1);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(),
            "the farm did not accept the build: failed to connect to all "
            "addresses");
}

TEST_F(BuildSessionTest, FileChangedBeforeUploadCancelsTheBuild) {
  std::string reason;
  FakeFarm farm([&](FarmCall& call, int n) {
    ReadOpening(Reader(call));
    call.Write(Accepted("b-8"));
    call.Write(Need({D("print('hi')\n")}));
    proto::BuildClientMessage m;
    while (call.Read(&m) && !m.has_cancel()) {
      EXPECT_FALSE(m.has_blob() && m.blob().last())
          << "a changed file was sent as complete";
    }
    reason = m.cancel().reason();
    call.Write(Result(false, "cancelled"));
  });
  tree_.Write("app/main.py", "print('bye')\n");
  BuildSession session(&farm, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(result.status().message(),
            "file app/main.py changed during the build");
  EXPECT_EQ(reason, "file app/main.py changed during the build");
}

TEST_F(BuildSessionTest, ArchiveNobodyAskedForIsAProtocolError) {
  FakeFarm farm([&](FarmCall& call, int n) {
    ReadOpening(Reader(call));
    call.Write(Accepted("b-9"));
    call.Write(Output("docker", "unwanted", true));
    proto::BuildClientMessage m;
    while (call.Read(&m) && !m.has_cancel()) {
    }
    call.Write(Result(false, "cancelled"));
  });
  BuildSession session(&farm, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(result.status().message(),
            "the farm sent a docker archive nobody asked for");
}

TEST_F(BuildSessionTest, NothingToUploadSendsNoBlobs) {
  int blob_messages = 0;
  FakeFarm farm([&](FarmCall& call, int n) {
    ReadOpening(Reader(call));
    call.Write(Accepted("b-10"));
    call.Write(Need({}));
    call.Write(Result(true));
    proto::BuildClientMessage m;
    while (call.Read(&m)) blob_messages += m.has_blob();
  });
  BuildSession session(&farm, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(session.uploaded_bytes(), 0);
  EXPECT_EQ(blob_messages, 0);
}

}  // namespace
}  // namespace farm::client::build
