// FarmWorker and the farm-worker binary against a scheduler stand-in on
// 127.0.0.1: a real CacheService over RocksDB and a scripted WorkerService.
// Jobs run for real (runc, overlayfs), layers land in the scheduler's CAS,
// and SIGTERM drains a busy worker before it exits 0.
#include "worker/farm_worker.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "auth/authenticator.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "common/blocking_queue.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/worker.grpc.pb.h"
#include "worker/grpc_worker_stream.h"
#include "worker/stage_test_util.h"

namespace farm::worker {
namespace {

using ::testing::HasSubstr;

// Registers each worker, hands it the queued jobs and records what comes
// back.
class ScriptedWorkerService : public proto::WorkerService::Service {
 public:
  grpc::Status Connect(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<proto::SchedulerMessage, proto::WorkerMessage>*
          stream) override {
    proto::WorkerMessage hello;
    if (!stream->Read(&hello) || !hello.has_register_()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no register");
    }
    registrations.Push(hello.register_());
    proto::SchedulerMessage registered;
    registered.mutable_registered()->set_worker_id(
        hello.register_().worker_id());
    registered.mutable_registered()->set_heartbeat_interval_ms(100);
    stream->Write(registered);
    while (std::optional<proto::StageJob> job =
               jobs.Pop(absl::ZeroDuration())) {
      proto::SchedulerMessage assign;
      *assign.mutable_assign() = *job;
      stream->Write(assign);
    }
    proto::WorkerMessage message;
    while (stream->Read(&message)) received.Push(message);
    ended.Push(true);
    return grpc::Status::OK;
  }

  BlockingQueue<proto::StageJob> jobs;
  BlockingQueue<proto::RegisterWorker> registrations;
  BlockingQueue<proto::WorkerMessage> received;
  BlockingQueue<bool> ended;
};

class FarmWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("farm-worker");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    cache::RocksDbCache::Options options;
    options.root = JoinPath(dir_, "scheduler-cache");
    absl::StatusOr<std::unique_ptr<cache::RocksDbCache>> cache =
        cache::RocksDbCache::Open(options);
    ASSERT_TRUE(cache.ok()) << cache.status();
    cache_ = *std::move(cache);
    cache_service_ = std::make_unique<cache::CacheService>(
        cache_->blobs(), cache_->actions(), cache_.get(), &open_);
    absl::StatusOr<cache::RunningServer> server = cache::StartGrpcServer(
        "127.0.0.1:0", {cache_service_.get(), &workers_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = absl::StrCat("127.0.0.1:", server_.port);
    absl::StatusOr<proto::ImageContent> busybox =
        testing::PutBusyboxImage(*cache_->blobs(), dir_);
    ASSERT_TRUE(busybox.ok()) << busybox.status();
    busybox_ = *busybox;
  }

  void TearDown() override {
    server_.server->Shutdown(
        absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    server_.server.reset();
    cache_service_.reset();
    cache_.reset();
    RemoveAll(dir_).IgnoreError();
  }

  proto::StageJob Job(const std::string& dockerfile) {
    testing::TestBuild build;
    build.dockerfile = dockerfile;
    build.images["busybox:latest"] = busybox_;
    absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
    EXPECT_TRUE(job.ok()) << job.status();
    job->set_job_id("job-1");
    return *job;
  }

  // Messages from the worker until a JobResult.
  std::vector<proto::WorkerMessage> UntilResult() {
    std::vector<proto::WorkerMessage> out;
    while (out.empty() || !out.back().has_result()) {
      std::optional<proto::WorkerMessage> m =
          workers_.received.Pop(absl::Seconds(60));
      if (!m.has_value()) {
        ADD_FAILURE() << "no result";
        break;
      }
      if (!m->has_heartbeat()) out.push_back(*m);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<cache::RocksDbCache> cache_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  std::unique_ptr<cache::CacheService> cache_service_;
  ScriptedWorkerService workers_;
  cache::RunningServer server_;
  std::string address_;
  proto::ImageContent busybox_;
};

TEST_F(FarmWorkerTest, RunsAJobOverGrpcAndDrains) {
  workers_.jobs.Push(
      Job("FROM busybox:latest\nRUN echo hi > /hi && echo ran\n"));
  FarmWorkerOptions options;
  options.root = JoinPath(dir_, "worker");
  options.worker_id = "test-worker";
  options.slots = 2;
  absl::StatusOr<std::unique_ptr<FarmWorker>> worker =
      FarmWorker::Create(*DialScheduler(address_), options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Start();

  std::optional<proto::RegisterWorker> reg =
      workers_.registrations.Pop(absl::Seconds(30));
  ASSERT_TRUE(reg.has_value());
  EXPECT_EQ(reg->worker_id(), "test-worker");
  EXPECT_EQ(reg->slots(), 2);

  std::vector<proto::WorkerMessage> messages = UntilResult();
  ASSERT_FALSE(messages.empty());
  const proto::JobResult& result = messages.back().result();
  ASSERT_TRUE(result.ok()) << result.error();
  ASSERT_EQ(result.output().layers_size(), 2);
  bool logged = false;
  for (const proto::WorkerMessage& m : messages) {
    if (m.has_event() && m.event().event().text() == "ran") logged = true;
  }
  EXPECT_TRUE(logged);
  // The layer and the action result are in the scheduler's cache.
  absl::StatusOr<Digest> layer =
      Digest::Parse(result.output().layers(1).digest());
  ASSERT_TRUE(layer.ok());
  EXPECT_TRUE(cache_->blobs()->Stat(*layer).ok());
  absl::StatusOr<Digest> key = Digest::Parse(result.output().final_key());
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(cache_->actions()->Get(*key).ok());

  (*worker)->Drain();
  bool draining = false;
  while (!draining) {
    std::optional<proto::WorkerMessage> m =
        workers_.received.Pop(absl::Seconds(10));
    ASSERT_TRUE(m.has_value()) << "no draining heartbeat";
    draining = m->has_heartbeat() && m->heartbeat().draining();
  }
  EXPECT_TRUE(workers_.ended.Pop(absl::Seconds(10)).has_value());
  (*worker)->Stop();
}

TEST_F(FarmWorkerTest, SigtermLetsTheRunningJobFinishThenExitsZero) {
  workers_.jobs.Push(
      Job("FROM busybox:latest\nRUN sleep 1 && echo finished > /f\n"));
  const std::string binary = "worker/farm-worker";
  ASSERT_TRUE(PathExists(binary));
  const std::string root = JoinPath(dir_, "binary-worker");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(binary.c_str(), binary.c_str(), "--scheduler", address_.c_str(),
          "--root", root.c_str(), "--id", "sigterm-worker", nullptr);
    _exit(127);
  }
  // Wait until the RUN has started, then ask the worker to go.
  bool started = false;
  std::vector<proto::WorkerMessage> messages;
  while (!started) {
    std::optional<proto::WorkerMessage> m =
        workers_.received.Pop(absl::Seconds(60));
    ASSERT_TRUE(m.has_value()) << "the job never started";
    const proto::BuildEvent& e = m->event().event();
    started = m->has_event() && e.kind() == proto::BuildEvent::STEP_STARTED &&
              e.instruction_index() == 1;
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::vector<proto::WorkerMessage> rest = UntilResult();
  ASSERT_FALSE(rest.empty());
  EXPECT_TRUE(rest.back().result().ok()) << rest.back().result().error();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(FarmWorkerTest, ARootServesOneWorkerAtATime) {
  FarmWorkerOptions options;
  options.root = JoinPath(dir_, "shared-root");
  absl::StatusOr<std::unique_ptr<FarmWorker>> first =
      FarmWorker::Create(*DialScheduler(address_), options);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(stat(options.root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  options.root_lock_wait = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<FarmWorker>> second =
      FarmWorker::Create(*DialScheduler(address_), options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
  first->reset();
  second = FarmWorker::Create(*DialScheduler(address_), options);
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST_F(FarmWorkerTest, RelativeRootIsRejected) {
  FarmWorkerOptions options;
  options.root = "relative/root";
  absl::StatusOr<std::unique_ptr<FarmWorker>> worker =
      FarmWorker::Create(*DialScheduler(address_), options);
  EXPECT_EQ(worker.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(worker.status().message(), HasSubstr("relative/root"));
}

}  // namespace
}  // namespace farm::worker
