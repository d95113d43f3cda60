// The interceptor on a real gRPC server (loopback, port 0): every finished
// RPC is counted and timed by method and code, the time read from a
// simulated clock; made-up methods do not add series.
#include "metrics/grpc_metrics_interceptor.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cache/service/grpc_server.h"
#include "gtest/gtest.h"
#include "metrics/testing/scrape.h"
#include "proto/worker.grpc.pb.h"

namespace farm::metrics {
namespace {

using testing::Sample;
using testing::Scrape;

constexpr char kStats[] = "/farm.proto.WorkerService/Stats";
constexpr char kListWorkers[] = "/farm.proto.WorkerService/ListWorkers";
constexpr char kConnect[] = "/farm.proto.WorkerService/Connect";

// Stats takes 30 ms of simulated time; ListWorkers finds nothing; Connect
// waits for its client to hang up.
class FakeWorkerService : public proto::WorkerService::Service {
 public:
  explicit FakeWorkerService(SimulatedClock* clock) : clock_(clock) {}
  grpc::Status Stats(grpc::ServerContext*, const proto::SchedulerStatsRequest*,
                     proto::SchedulerStats*) override {
    clock_->Advance(absl::Milliseconds(30));
    return grpc::Status::OK;
  }
  grpc::Status ListWorkers(grpc::ServerContext*,
                           const proto::ListWorkersRequest*,
                           proto::ListWorkersResponse*) override {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no workers");
  }
  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
          stream) override {
    connected.Notify();
    proto::WorkerMessage message;
    while (stream->Read(&message)) {
    }
    return grpc::Status(grpc::StatusCode::CANCELLED, "the worker left");
  }
  absl::Notification connected;

 private:
  SimulatedClock* clock_;
};

class GrpcMetricsInterceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        MakeGrpcMetricsInterceptorFactory(metrics_, &clock_));
    absl::StatusOr<cache::RunningServer> server = cache::StartGrpcServer(
        "127.0.0.1:0", {&service_}, nullptr, std::move(interceptors));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port),
                                   grpc::InsecureChannelCredentials());
    stub_ = proto::WorkerService::NewStub(channel_);
  }
  void TearDown() override { server_.server->Shutdown(); }

  // The sample of `name` for `method` and `code`.
  std::optional<double> Rpc(const std::string& name, const std::string& method,
                            const std::string& code,
                            std::map<std::string, std::string> more = {}) {
    more["method"] = method;
    more["code"] = code;
    return Sample(Scrape(*metrics_), name, more);
  }

  // Calls `method` with an empty message through a generic stub.
  grpc::Status CallByName(const std::string& method) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext context;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    grpc::Status result;
    absl::Notification done;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request,
                      &response, [&](grpc::Status status) {
                        result = status;
                        done.Notify();
                      });
    done.WaitForNotification();
    return result;
  }

  SimulatedClock clock_;
  std::shared_ptr<RpcMetrics> metrics_ = std::make_shared<RpcMetrics>();
  FakeWorkerService service_{&clock_};
  cache::RunningServer server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::WorkerService::Stub> stub_;
};

TEST_F(GrpcMetricsInterceptorTest, CountsAndTimesByMethodAndCode) {
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    proto::SchedulerStats stats;
    ASSERT_TRUE(
        stub_->Stats(&context, proto::SchedulerStatsRequest(), &stats).ok());
  }
  grpc::ClientContext context;
  proto::ListWorkersResponse workers;
  EXPECT_EQ(stub_->ListWorkers(&context, proto::ListWorkersRequest(), &workers)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(Rpc("farm_grpc_server_handled_total", kStats, "OK"), 2);
  EXPECT_EQ(Rpc("farm_grpc_server_handled_total", kListWorkers, "NOT_FOUND"),
            1);
  EXPECT_EQ(Rpc("farm_grpc_server_handled_total", kListWorkers, "OK"),
            std::nullopt);
  // Each Stats took 30 ms on the simulated clock.
  EXPECT_EQ(Rpc("farm_grpc_server_handling_seconds_count", kStats, "OK"), 2);
  EXPECT_DOUBLE_EQ(*Rpc("farm_grpc_server_handling_seconds_sum", kStats, "OK"),
                   0.06);
  EXPECT_EQ(Rpc("farm_grpc_server_handling_seconds_bucket", kStats, "OK",
                {{"le", "0.025"}}),
            0);
  EXPECT_EQ(Rpc("farm_grpc_server_handling_seconds_bucket", kStats, "OK",
                {{"le", "0.05"}}),
            2);
}

TEST_F(GrpcMetricsInterceptorTest, AStreamTheClientLeftIsCancelled) {
  grpc::ClientContext context;
  auto stream = stub_->Connect(&context);
  service_.connected.WaitForNotification();
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  server_.server->Shutdown();  // waits for the handler, and its status
  EXPECT_EQ(Rpc("farm_grpc_server_handled_total", kConnect, "CANCELLED"), 1);
}

TEST_F(GrpcMetricsInterceptorTest, MadeUpMethodsShareOneLabel) {
  EXPECT_EQ(CallByName("/farm.proto.WorkerService/NoSuchMethod").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(CallByName("/made.up.Service/Anything").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  const std::string text = Scrape(*metrics_);
  EXPECT_EQ(text.find("NoSuchMethod"), std::string::npos) << text;
  EXPECT_EQ(text.find("made.up"), std::string::npos) << text;
}

TEST(MethodLabelTest, OnlyMethodsOfLinkedServices) {
  EXPECT_EQ(MethodLabel(kStats), kStats);
  EXPECT_EQ(MethodLabel("/farm.proto.WorkerService/Nope"), "unknown");
  EXPECT_EQ(MethodLabel("/farm.proto.SchedulerStats/Stats"), "unknown");
  EXPECT_EQ(MethodLabel("farm.proto.WorkerService/Stats"), "unknown");
  EXPECT_EQ(MethodLabel("/"), "unknown");
  EXPECT_EQ(MethodLabel(""), "unknown");
}

TEST(CodeLabelTest, GrpcNames) {
  EXPECT_EQ(CodeLabel(0), "OK");
  EXPECT_EQ(CodeLabel(5), "NOT_FOUND");
  EXPECT_EQ(CodeLabel(14), "UNAVAILABLE");
  EXPECT_EQ(CodeLabel(16), "UNAUTHENTICATED");
  EXPECT_EQ(CodeLabel(-1), "UNKNOWN");
  EXPECT_EQ(CodeLabel(17), "UNKNOWN");
}

}  // namespace
}  // namespace farm::metrics
