// BuildService through an in-process gRPC channel: the stream protocol
// (request or attach first), re-attaching to a running build, the
// per-tenant limit, and ListBuilds. The worker is played by the test
// through the SchedulerCore.
#include "scheduler/service/build_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "auth/authenticator.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "scheduler/session_testing.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

using testing::BlobMessage;
using testing::kApp;
using testing::ManifestMessage;
using testing::Request;
using testing::RequestMessage;
using Stream = grpc::ClientReaderWriter<proto::BuildClientMessage,
                                        proto::BuildServerMessage>;

class BuildServiceTest : public testing::SessionTest {
 protected:
  void SetUp() override {
    SessionTest::SetUp();
    auto outbox = core_.WorkerJoined(testing::WorkerFor("w1", {"linux/amd64"}));
    ASSERT_TRUE(outbox.ok()) << outbox.status();
    worker_ = *outbox;
  }

  void StartServer(SessionLimits limits = {}) {
    service_ = std::make_unique<BuildService>(
        [this](const std::string& tenant) -> absl::StatusOr<SessionDeps> {
          if (!deps_error_.ok()) return deps_error_;
          SessionDeps deps = Deps();
          deps.tenant = tenant;
          deps.client_grace = client_grace_;
          return deps;
        },
        &authenticator_, limits);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = proto::BuildService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(2));
      server_->Wait();
    }
    service_.reset();
  }

  // Plays the worker: takes the job it was given and reports `output`.
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

  // Reads until the result; every message read.
  static std::vector<proto::BuildServerMessage> ReadAll(Stream& stream) {
    std::vector<proto::BuildServerMessage> said;
    proto::BuildServerMessage message;
    while (stream.Read(&message)) {
      said.push_back(message);
      if (message.has_result()) break;
    }
    return said;
  }

  // Reads to the result, which must be a success, and closes the stream.
  static void ExpectSucceeds(Stream& stream) {
    std::vector<proto::BuildServerMessage> said = ReadAll(stream);
    ASSERT_FALSE(said.empty());
    ASSERT_TRUE(said.back().has_result());
    EXPECT_TRUE(said.back().result().ok()) << said.back().result().error();
    stream.WritesDone();
    EXPECT_TRUE(stream.Finish().ok());
  }

  // Reads one message, which must be there.
  static proto::BuildServerMessage ReadOne(Stream& stream) {
    proto::BuildServerMessage message;
    EXPECT_TRUE(stream.Read(&message));
    return message;
  }

  auth::Authenticator authenticator_{auth::AuthenticatorOptions{}};
  absl::Status deps_error_;
  absl::Duration client_grace_ = absl::Seconds(1);
  std::shared_ptr<WorkerOutbox> worker_;
  std::unique_ptr<BuildService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<proto::BuildService::Stub> stub_;
};

TEST_F(BuildServiceTest, ABuildRunsOverOneStream) {
  StartServer();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub_->Build(&context);
  ASSERT_TRUE(stream->Write(RequestMessage(Request())));
  ASSERT_TRUE(stream->Write(ManifestMessage()));
  proto::BuildServerMessage accepted = ReadOne(*stream);
  const std::string id = accepted.accepted().build_id();
  EXPECT_EQ(id.size(), 21u);
  EXPECT_TRUE(absl::StartsWith(id, "b")) << id;
  proto::BuildServerMessage need = ReadOne(*stream);
  ASSERT_EQ(need.need().digests_size(), 1);
  EXPECT_EQ(need.need().digests(0), Digest::Of(kApp).ToString());
  ASSERT_TRUE(stream->Write(BlobMessage(kApp, kApp, true)));
  // Past the grace a late detach of the old stream would start.
  absl::SleepFor(absl::Milliseconds(2000));
  FinishTheJob();
  ExpectSucceeds(*stream);

  grpc::ClientContext list_context;
  proto::ListBuildsResponse listed;
  ASSERT_TRUE(stub_->ListBuilds(&list_context, {}, &listed).ok());
  ASSERT_EQ(listed.builds_size(), 1);
  EXPECT_EQ(listed.builds(0).build_id(), id);
  EXPECT_EQ(listed.builds(0).tenant(), "default");
}

TEST_F(BuildServiceTest, AStreamMustOpenWithARequestOrAnAttach) {
  StartServer();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub_->Build(&context);
  ASSERT_TRUE(stream->Write(BlobMessage(kApp, kApp, true)));
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "a build stream must start with a request or an attach");
}

TEST_F(BuildServiceTest, AttachingToAnUnknownBuildIsNotFound) {
  StartServer();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub_->Build(&context);
  proto::BuildClientMessage attach;
  attach.mutable_attach()->set_build_id("bnosuchbuild");
  ASSERT_TRUE(stream->Write(attach));
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StartsWith(status.error_message(),
                               "build bnosuchbuild is not known"))
      << status.error_message();
}

TEST_F(BuildServiceTest, AClientThatReattachesFinishesItsBuild) {
  client_grace_ = absl::Seconds(1);
  StartServer();
  std::string id;
  {
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = stub_->Build(&context);
    ASSERT_TRUE(stream->Write(RequestMessage(Request())));
    ASSERT_TRUE(stream->Write(ManifestMessage()));
    id = ReadOne(*stream).accepted().build_id();
    ASSERT_TRUE(ReadOne(*stream).has_need());
    // The connection drops mid-upload.
    ASSERT_TRUE(stream->Write(BlobMessage(kApp, "hello", false)));
    context.TryCancel();
    stream->Finish();
  }
  // At once: the old stream's handler sees its call cancelled only within
  // 500 ms, so its chunk and its detach may reach the session after this
  // attach. Both must be dropped.
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub_->Build(&context);
  proto::BuildClientMessage attach;
  attach.mutable_attach()->set_build_id(id);
  attach.mutable_attach()->set_after_sequence(1);
  ASSERT_TRUE(stream->Write(attach));
  // The replay starts after the acceptance: the request for the blob.
  ASSERT_TRUE(ReadOne(*stream).has_need());
  ASSERT_TRUE(stream->Write(BlobMessage(kApp, kApp, true)));
  FinishTheJob();
  ExpectSucceeds(*stream);
  absl::StatusOr<std::string> stored =
      cache::GetBlob(*cache_.blobs(), Digest::Of(kApp));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, kApp);
}

TEST_F(BuildServiceTest, ATenantPastItsRunningLimitIsTurnedAway) {
  SessionLimits limits;
  limits.max_running_per_tenant = 1;
  StartServer(limits);
  grpc::ClientContext first_context;
  std::unique_ptr<Stream> first = stub_->Build(&first_context);
  ASSERT_TRUE(first->Write(RequestMessage(Request())));
  ASSERT_TRUE(ReadOne(*first).has_accepted());

  grpc::ClientContext second_context;
  std::unique_ptr<Stream> second = stub_->Build(&second_context);
  ASSERT_TRUE(second->Write(RequestMessage(Request())));
  second->WritesDone();
  grpc::Status status = second->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StartsWith(status.error_message(),
                               "tenant default already runs 1 builds"))
      << status.error_message();
  first_context.TryCancel();
  first->Finish();
}

TEST_F(BuildServiceTest, ATenantWithoutDepsIsRefusedWithTheirError) {
  deps_error_ = absl::PermissionDeniedError("tenant default may not build");
  StartServer();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub_->Build(&context);
  ASSERT_TRUE(stream->Write(RequestMessage(Request())));
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "tenant default may not build");
}

TEST_F(BuildServiceTest, VersionNamesTheScheduler) {
  StartServer();
  grpc::ClientContext context;
  proto::VersionInfo info;
  ASSERT_TRUE(stub_->Version(&context, {}, &info).ok());
  EXPECT_EQ(info.component(), "farm-scheduler");
  EXPECT_FALSE(info.version().empty());
}

}  // namespace
}  // namespace farm::scheduler
