// The health service as a kubelet's gRPC probe sees it: a real server on
// a loopback port, asked with the protocol's own messages.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_builder.h>

#include <thread>

#include "gtest/gtest.h"
#include "health/health_server.h"
#include "proto/health.grpc.pb.h"

namespace farm::health {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

std::unique_ptr<Health::Stub> Dial(int port) {
  return Health::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

grpc::Status Check(Health::Stub& stub, const std::string& service,
                   HealthCheckResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  HealthCheckRequest request;
  request.set_service(service);
  return stub.Check(&context, request, response);
}

HealthCheckResponse::ServingStatus StatusNow(Health::Stub& stub) {
  HealthCheckResponse response;
  grpc::Status status = Check(stub, "", &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

// `service` alone on a loopback port, as on a server's main port.
class ServingOn {
 public:
  explicit ServingOn(HealthService* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
  }
  ~ServingOn() {
    if (server_ != nullptr) server_->Shutdown();
  }
  bool started() const { return server_ != nullptr; }
  int port() const { return port_; }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST(HealthServerTest, ServingOnlyBetweenStartAndDrain) {
  ServingState state;
  absl::StatusOr<std::unique_ptr<HealthServer>> server =
      HealthServer::Start("127.0.0.1:0", &state);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<Health::Stub> stub = Dial((*server)->port());

  EXPECT_EQ(StatusNow(*stub), HealthCheckResponse::NOT_SERVING);
  state.Set(Phase::kServing);
  EXPECT_EQ(StatusNow(*stub), HealthCheckResponse::SERVING);
  state.Set(Phase::kDraining);
  EXPECT_EQ(StatusNow(*stub), HealthCheckResponse::NOT_SERVING);
}

TEST(HealthServerTest, UnknownServiceIsNotFound) {
  ServingState state(Phase::kServing);
  absl::StatusOr<std::unique_ptr<HealthServer>> server =
      HealthServer::Start("127.0.0.1:0", &state);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<Health::Stub> stub = Dial((*server)->port());
  HealthCheckResponse response;
  EXPECT_EQ(Check(*stub, "farm.proto.BuildService", &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(HealthServerTest, NoAddressIsNoServer) {
  ServingState state;
  absl::StatusOr<std::unique_ptr<HealthServer>> none =
      HealthServer::Start("", &state);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, nullptr);
}

TEST(HealthServerTest, BusyAddressIsAClearError) {
  ServingState state;
  absl::StatusOr<std::unique_ptr<HealthServer>> first =
      HealthServer::Start("127.0.0.1:0", &state);
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<HealthServer>> second = HealthServer::Start(
      "127.0.0.1:" + std::to_string((*first)->port()), &state);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("--health-listen"),
            std::string::npos);
}

TEST(HealthServiceTest, NamedServicesAnswerOnTheMainServer) {
  ServingState state(Phase::kServing);
  HealthService service(&state, {"farm.proto.BuildService"});
  ServingOn server(&service);
  ASSERT_TRUE(server.started());
  std::unique_ptr<Health::Stub> stub = Dial(server.port());
  HealthCheckResponse response;
  ASSERT_TRUE(Check(*stub, "farm.proto.BuildService", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

TEST(HealthServiceTest, WatchSendsEachChange) {
  ServingState state;
  HealthService service(&state, {}, absl::Milliseconds(20));
  ServingOn server(&service);
  ASSERT_TRUE(server.started());
  std::unique_ptr<Health::Stub> stub = Dial(server.port());

  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader =
      stub->Watch(&context, HealthCheckRequest());
  HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  state.Set(Phase::kServing);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  state.Set(Phase::kDraining);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  context.TryCancel();
  while (reader->Read(&response)) {
  }
}

TEST(HealthServiceTest, WatchOfUnknownServiceSaysSo) {
  ServingState state(Phase::kServing);
  HealthService service(&state, {});
  ServingOn server(&service);
  ASSERT_TRUE(server.started());
  std::unique_ptr<Health::Stub> stub = Dial(server.port());
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service("nope");
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader =
      stub->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVICE_UNKNOWN);
}

}  // namespace
}  // namespace farm::health
