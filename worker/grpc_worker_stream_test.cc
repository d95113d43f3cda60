// The channel DialScheduler opens: its arguments, and a scheduler stand-in on
// 127.0.0.1 that sends one job under the worker's message limit and one
// over it.
#include "worker/grpc_worker_stream.h"

#include <grpc/grpc.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/worker.grpc.pb.h"

namespace farm::worker {
namespace {

// The channel arguments that are integers, by key.
std::map<std::string, int> IntArgs(const grpc::ChannelArguments& args) {
  grpc_channel_args c_args;
  args.SetChannelArgs(&c_args);
  std::map<std::string, int> out;
  for (size_t i = 0; i < c_args.num_args; ++i) {
    if (c_args.args[i].type == GRPC_ARG_INTEGER) {
      out[c_args.args[i].key] = c_args.args[i].value.integer;
    }
  }
  return out;
}

TEST(SchedulerChannelArgumentsTest, BoundTheMessagesFromTheScheduler) {
  std::map<std::string, int> args = IntArgs(SchedulerChannelArguments());
  EXPECT_EQ(args[GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH], 64 << 20);
  EXPECT_EQ(args[GRPC_ARG_MAX_SEND_MESSAGE_LENGTH], 64 << 20);
  EXPECT_EQ(args[GRPC_ARG_KEEPALIVE_TIME_MS], 300000);
  args = IntArgs(SchedulerChannelArguments(8 << 20));
  EXPECT_EQ(args[GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH], 8 << 20);
}

// After a worker's first message, sends `jobs` in order, then waits for the
// worker to hang up.
class JobSender : public proto::WorkerService::Service {
 public:
  explicit JobSender(std::vector<proto::SchedulerMessage> jobs)
      : jobs_(std::move(jobs)) {}
  grpc::Status Connect(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
          stream) override {
    proto::WorkerMessage in;
    if (!stream->Read(&in)) return grpc::Status::OK;
    for (const proto::SchedulerMessage& job : jobs_) {
      if (!stream->Write(job)) break;
    }
    while (stream->Read(&in)) {
    }
    return grpc::Status::OK;
  }

 private:
  std::vector<proto::SchedulerMessage> jobs_;
};

proto::SchedulerMessage JobOfSize(const std::string& id, size_t bytes) {
  proto::SchedulerMessage m;
  m.mutable_assign()->set_job_id(id);
  m.mutable_assign()->set_dockerfile_name(std::string(bytes, '#'));
  return m;
}

TEST(DialSchedulerTest, AJobOverTheLimitEndsTheStreamAndNoMore) {
  JobSender service({JobOfSize("small", 512 << 10), JobOfSize("big", 2 << 20),
                     JobOfSize("after", 1)});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxSendMessageSize(-1);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = DialScheduler(
      "127.0.0.1:" + std::to_string(port), {}, /*max_job_bytes=*/1 << 20);
  ASSERT_TRUE(channel.ok()) << channel.status();
  GrpcWorkerConnector connector(*channel);
  absl::StatusOr<std::unique_ptr<WorkerStream>> stream = connector.Connect();
  ASSERT_TRUE(stream.ok()) << stream.status();
  proto::WorkerMessage hello;
  hello.mutable_register_()->set_worker_id("w1");
  ASSERT_TRUE((*stream)->Write(hello));
  proto::SchedulerMessage message;
  ASSERT_TRUE((*stream)->Read(&message));
  EXPECT_EQ(message.assign().job_id(), "small");
  EXPECT_FALSE((*stream)->Read(&message));
  (*stream)->Close();
  stream->reset();
  server->Shutdown();
}

}  // namespace
}  // namespace farm::worker
