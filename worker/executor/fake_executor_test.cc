#include "worker/executor/fake_executor.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;

ProcessSpec Command(std::string command) {
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", std::move(command)};
  return spec;
}

TEST(FakeExecutorTest, AnswersFromTheQueueThenTheHandlerAndRecordsCalls) {
  FakeExecutor fake;
  FakeExecutor::Response failing;
  failing.output = {{Stream::kStdout, "compiling"},
                    {Stream::kStderr, "error: x"}};
  failing.result = ExitStatus{2};
  fake.Push(failing);
  fake.SetHandler([](const std::string& rootfs, const ProcessSpec& spec) {
    FakeExecutor::Response response;
    response.output = {{Stream::kStdout, rootfs + ":" + spec.args.back()}};
    return response;
  });

  Cancellation cancel;
  LineRecorder first;
  absl::StatusOr<ExitStatus> status =
      fake.Run("/r1", Command("make"), first, cancel);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 2);
  EXPECT_FALSE(status->success());
  EXPECT_EQ(first.Tail(), "compiling\nerror: x\n");

  LineRecorder second;
  status = fake.Run("/r2", Command("ls"), second, cancel);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->success());
  EXPECT_EQ(second.Tail(), "/r2:ls\n");

  std::vector<FakeExecutor::Call> calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].rootfs, "/r1");
  EXPECT_THAT(calls[0].spec.args, ElementsAre("/bin/sh", "-c", "make"));
  EXPECT_EQ(calls[1].spec.args.back(), "ls");
}

TEST(FakeExecutorTest, ScriptedErrorsAndEffects) {
  FakeExecutor fake;
  FakeExecutor::Response response;
  response.result = absl::NotFoundError("unable to find user ghost");
  std::string touched;
  response.effect = [&](const std::string& rootfs) { touched = rootfs; };
  fake.Push(response);
  Cancellation cancel;
  LineRecorder sink;
  absl::StatusOr<ExitStatus> status =
      fake.Run("/r", Command("true"), sink, cancel);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(touched, "/r");
}

TEST(FakeExecutorTest, WaitsForCancellationWhenAsked) {
  FakeExecutor fake;
  FakeExecutor::Response response;
  response.wait_for_cancel = true;
  fake.Push(response);
  Cancellation cancel;
  LineRecorder sink;
  std::thread canceller([&] { cancel.Cancel(); });
  absl::StatusOr<ExitStatus> status =
      fake.Run("/r", Command("sleep 100"), sink, cancel);
  canceller.join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kCancelled);
}

TEST(FakeExecutorTest, WithoutScriptEveryRunSucceedsSilently) {
  FakeExecutor fake;
  Cancellation cancel;
  LineRecorder sink;
  absl::StatusOr<ExitStatus> status =
      fake.Run("/r", Command("true"), sink, cancel);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 0);
  EXPECT_EQ(sink.total_lines(), 0u);
}

}  // namespace
}  // namespace farm::executor
