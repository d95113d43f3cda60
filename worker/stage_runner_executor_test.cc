// StageRunner over a FakeExecutor: what a RUN hands the container runtime
// and what the runner makes of its answer (exit codes, kills, cancellation,
// a failed step's leftovers), with no container started. The snapshot
// store and overlayfs are real; stage_runner_test.cc runs real runc.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/fake_executor.h"
#include "worker/stage_runner.h"
#include "worker/stage_test_util.h"

namespace farm::worker {
namespace {

using executor::ExitStatus;
using executor::FakeExecutor;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class StageRunnerExecutorTest : public testing::StageRunnerFixture {
 protected:
  executor::Executor* executor() override { return &executor_; }

  // The job of `dockerfile`'s only stage, over busybox:latest with an
  // empty context.
  proto::StageJob Job(const std::string& dockerfile) {
    testing::TestBuild build;
    build.dockerfile = dockerfile;
    build.images["busybox:latest"] = busybox_;
    const std::string context = JoinPath(dir_, "context");
    EXPECT_TRUE(MakeDirs(context).ok());
    absl::StatusOr<proto::ContextManifest> manifest =
        testing::PutContext(context, worker_->blobs());
    EXPECT_TRUE(manifest.ok()) << manifest.status();
    build.context = *manifest;
    absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
    EXPECT_TRUE(job.ok()) << job.status();
    return job.value_or(proto::StageJob());
  }

  absl::StatusOr<proto::StageOutput> Run(const proto::StageJob& job) {
    return worker_->runner().Run(job, events_, cancel_);
  }

  bool Cached(const proto::StageJob& job, int index) {
    return worker_->actions().Get(*Digest::Parse(job.keys(index))).ok();
  }

  // What a finished job may leave in the workspaces: nothing.
  void ExpectNoWorkspaces() {
    for (const char* dir : {"snapshots/work", "scratch"}) {
      absl::StatusOr<std::vector<std::string>> left =
          ListDir(JoinPath(worker_->dir(), dir));
      ASSERT_TRUE(left.ok()) << left.status();
      EXPECT_THAT(*left, IsEmpty()) << dir;
    }
  }

  FakeExecutor executor_;
  testing::RecordingSink events_;
  executor::Cancellation cancel_;
};

TEST_F(StageRunnerExecutorTest, TheExecutorSeesArgvEnvCwdUserAndNetwork) {
  const proto::StageJob job =
      Job("FROM busybox:latest\n"
          "ENV GREETING=hello\n"
          "WORKDIR /app\n"
          "USER app\n"
          "RUN echo \"$GREETING\"\n"
          "RUN [\"/bin/echo\", \"exec form\"]\n"
          "RUN --network=none true\n");
  absl::StatusOr<proto::StageOutput> output = Run(job);
  ASSERT_TRUE(output.ok()) << output.status();
  std::vector<FakeExecutor::Call> calls = executor_.calls();
  ASSERT_EQ(calls.size(), 3u);
  const executor::ProcessSpec& shell = calls[0].spec;
  EXPECT_THAT(shell.args, ElementsAre("/bin/sh", "-c", "echo \"$GREETING\""));
  EXPECT_THAT(shell.env, Contains("GREETING=hello"));
  EXPECT_THAT(shell.env, Contains(::testing::StartsWith("PATH=")));
  EXPECT_EQ(shell.cwd, "/app");
  EXPECT_EQ(shell.user, "app");
  EXPECT_EQ(shell.network, executor::NetworkMode::kPrivate);
  EXPECT_EQ(shell.security, executor::SecurityMode::kSandbox);
  EXPECT_FALSE(shell.no_new_privileges);
  EXPECT_THAT(calls[1].spec.args, ElementsAre("/bin/echo", "exec form"));
  EXPECT_EQ(calls[2].spec.network, executor::NetworkMode::kNone);
  // Each RUN gets a root of its own.
  EXPECT_NE(calls[0].rootfs, calls[1].rootfs);
  ExpectNoWorkspaces();
}

TEST_F(StageRunnerExecutorTest, WhatTheRunWritesIsItsLayer) {
  FakeExecutor::Response response;
  response.effect = [](const std::string& rootfs) {
    ASSERT_TRUE(WriteFile(JoinPath(rootfs, "made"), "by the run\n").ok());
  };
  executor_.Push(response);
  const proto::StageJob job = Job("FROM busybox:latest\nRUN make\n");
  absl::StatusOr<proto::StageOutput> output = Run(job);
  ASSERT_TRUE(output.ok()) << output.status();
  ASSERT_EQ(output->layers_size(), 2);
  absl::StatusOr<nlohmann::json> layer =
      testing::LayerEntries(worker_->blobs(), output->layers(1));
  ASSERT_TRUE(layer.ok()) << layer.status();
  ASSERT_EQ(layer->size(), 1u);
  EXPECT_EQ((*layer)[0]["path"], "/made");
  EXPECT_EQ((*layer)[0]["sha256"], Digest::Of("by the run\n").hex());
  EXPECT_TRUE(Cached(job, 1));
}

TEST_F(StageRunnerExecutorTest, AnExitCodeFailsTheStepWithItsOutput) {
  FakeExecutor::Response response;
  response.output = {{executor::Stream::kStdout, "before-failing"},
                     {executor::Stream::kStderr, "oops"}};
  response.result = ExitStatus{3};
  executor_.Push(response);
  const proto::StageJob job =
      Job("FROM busybox:latest\nRUN make && exit 3\nRUN true\n");
  absl::StatusOr<proto::StageOutput> output = Run(job);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(output.status().message(),
            "Dockerfile:2: RUN make && exit 3: exit code 3\n"
            "before-failing\noops");
  EXPECT_EQ(executor_.calls().size(), 1u) << "the next RUN ran";
  std::vector<proto::BuildEvent> all = events_.events();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().kind(), proto::BuildEvent::STEP_ERROR);
  EXPECT_EQ(all.back().instruction_index(), 1);
  EXPECT_THAT(events_.Summary(), Contains("STEP_LOG 1 1 before-failing"));
  EXPECT_THAT(events_.Summary(), Contains("STEP_LOG 1 2 oops"));
  EXPECT_FALSE(Cached(job, 1));
  ExpectNoWorkspaces();
}

TEST_F(StageRunnerExecutorTest, AKillAtALimitIsResourceExhausted) {
  FakeExecutor::Response response;
  response.result = ExitStatus{137, "memory limit 32 MiB reached"};
  executor_.Push(response);
  const proto::StageJob job = Job("FROM busybox:latest\nRUN hog\n");
  absl::StatusOr<proto::StageOutput> output = Run(job);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(output.status().message(),
            "Dockerfile:2: RUN hog was killed: memory limit 32 MiB reached");
  EXPECT_FALSE(Cached(job, 1));
}

TEST_F(StageRunnerExecutorTest, AnExecutorErrorKeepsItsCode) {
  FakeExecutor::Response response;
  response.result = absl::UnavailableError("runc is missing");
  executor_.Push(response);
  absl::StatusOr<proto::StageOutput> output =
      Run(Job("FROM busybox:latest\nRUN true\n"));
  EXPECT_EQ(output.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(output.status().message()),
              ::testing::HasSubstr("runc is missing"));
  ExpectNoWorkspaces();
}

TEST_F(StageRunnerExecutorTest, CancelDuringARunEndsTheJobAndLeavesNothing) {
  FakeExecutor::Response response;
  // The build is cancelled while the command runs.
  response.effect = [this](const std::string& rootfs) {
    ASSERT_TRUE(WriteFile(JoinPath(rootfs, "partial"), "x").ok());
    cancel_.Cancel();
  };
  response.wait_for_cancel = true;
  executor_.Push(response);
  const proto::StageJob job = Job("FROM busybox:latest\nRUN long\nRUN never\n");
  absl::StatusOr<proto::StageOutput> output = Run(job);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(executor_.calls().size(), 1u);
  EXPECT_THAT(events_.Summary(), Not(Contains("STEP_DONE 1")));
  EXPECT_FALSE(Cached(job, 1));
  ExpectNoWorkspaces();
}

TEST_F(StageRunnerExecutorTest, AFailedRunLeavesNothingForTheRetry) {
  FakeExecutor::Response failing;
  failing.effect = [](const std::string& rootfs) {
    ASSERT_TRUE(WriteFile(JoinPath(rootfs, "junk"), "half done").ok());
  };
  failing.result = ExitStatus{1};
  executor_.Push(failing);
  const proto::StageJob job = Job("FROM busybox:latest\nRUN flaky\n");
  EXPECT_EQ(Run(job).status().code(), absl::StatusCode::kInvalidArgument);
  ExpectNoWorkspaces();

  FakeExecutor::Response passing;
  passing.effect = [](const std::string& rootfs) {
    EXPECT_FALSE(PathExists(JoinPath(rootfs, "junk")));
    ASSERT_TRUE(WriteFile(JoinPath(rootfs, "done"), "").ok());
  };
  executor_.Push(passing);
  absl::StatusOr<proto::StageOutput> output = Run(job);
  ASSERT_TRUE(output.ok()) << output.status();
  absl::StatusOr<nlohmann::json> layer =
      testing::LayerEntries(worker_->blobs(), output->layers(1));
  ASSERT_TRUE(layer.ok()) << layer.status();
  ASSERT_EQ(layer->size(), 1u);
  EXPECT_EQ((*layer)[0]["path"], "/done");
}

}  // namespace
}  // namespace farm::worker
