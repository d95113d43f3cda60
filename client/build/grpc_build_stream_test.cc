// The session over real gRPC: a BuildService on 127.0.0.1 runs the farm's
// side, so message sizes, half-closes and statuses go through the real
// transport.
#include "client/build/grpc_build_stream.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/build/build_session.h"
#include "client/build/fake_build_service.h"
#include "client/build/session_testing.h"
#include "client/context/context_walker.h"
#include "client/context/test_tree.h"
#include "client/progress/testing_events.h"
#include "common/digest.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

using namespace testing;  // NOLINT: the farm side's helpers

class GrpcBuildStreamTest : public SessionTest {
 protected:
  void SetUp() override {
    big_ = std::string(5 << 20, 'b');  // over gRPC's 4 MB message limit
    big_[4 << 20] = 'c';
    tree_.Write("big.bin", big_);
    tree_.Write("small.txt", "small");
    WalkTree();
  }

  SessionOptions Options() {
    SessionOptions o = BaseOptions();
    o.request.set_dockerfile("FROM scratch\n");
    o.max_attach_attempts = 1;
    o.first_backoff = absl::Milliseconds(1);
    return o;
  }

  std::string big_;
};

TEST_F(GrpcBuildStreamTest, RunsABuildOverGrpc) {
  std::string got;
  int chunks = 0;
  FakeBuildServer server([&](FarmCall& call, int n) {
    auto read = [&call](proto::BuildClientMessage* m) { return call.Read(m); };
    Opening opening = ReadOpening(read);
    EXPECT_EQ(opening.manifest.entries_size(), 2);
    call.Write(Accepted("g-1"));
    call.Write(Need({Digest::Of(big_).ToString()}));
    proto::BuildClientMessage m;
    while (call.Read(&m) && m.has_blob()) {
      ++chunks;
      got += m.blob().data();
      if (m.blob().last()) break;
    }
    call.Write(Event(1, proto::BuildEvent::STEP_DONE, 1, "COPY"));
    call.Write(Result(true));
    EXPECT_FALSE(call.Read(&m));  // the client half-closed
  });
  GrpcBuildConnector connector(server.NewChannel());
  BuildSession session(&connector, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok());
  EXPECT_TRUE(got == big_) << "the blob arrived changed";
  EXPECT_EQ(chunks, 5);
  EXPECT_EQ(session.uploaded_bytes(), 5 << 20);
}

TEST_F(GrpcBuildStreamTest, CarriesTheFarmsStatus) {
  FakeBuildServer server([&](FarmCall& call, int n) {
    proto::BuildClientMessage m;
    call.Read(&m);
    call.Finish(absl::InvalidArgumentError("Dockerfile:1: unknown flag"));
  });
  GrpcBuildConnector connector(server.NewChannel());
  absl::StatusOr<std::unique_ptr<BuildStream>> stream = connector.Open();
  ASSERT_TRUE(stream.ok());
  proto::BuildClientMessage request;
  request.mutable_request()->set_dockerfile("FROM --bogus x\n");
  EXPECT_TRUE((*stream)->Write(request));
  proto::BuildServerMessage reply;
  EXPECT_FALSE((*stream)->Read(&reply));
  absl::Status status = (*stream)->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "Dockerfile:1: unknown flag");
}

TEST_F(GrpcBuildStreamTest, UnreachableFarmIsUnavailable) {
  // A port nobody listens on: bind one, then close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  GrpcBuildConnector connector(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)),
                          grpc::InsecureChannelCredentials()));
  BuildSession session(&connector, Options());
  absl::StatusOr<proto::BuildResult> result = session.Run();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(result.status().message(),
                               "the farm did not accept the build: "))
      << result.status();
}

}  // namespace
}  // namespace farm::client::build
