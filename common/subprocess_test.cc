#include "common/subprocess.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesBothStreamsAndTheExitCode) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_THAT(result->output, HasSubstr("out\n"));
  EXPECT_THAT(result->output, HasSubstr("err\n"));
}

TEST(RunCommandTest, SearchesPathAndReadsNothingFromStdin) {
  absl::StatusOr<CommandResult> result = RunCommand({"cat"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, "");
}

TEST(RunCommandTest, ASignalGives128PlusItsNumber) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + 9);
}

TEST(RunCommandTest, KillsAChildPastTheTimeout) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sleep", "30"}, absl::Milliseconds(100));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(result.status().message(),
              HasSubstr("`/bin/sleep 30` did not finish"));
}

TEST(RunCommandTest, KeepsAtMostMaxOutputBytes) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "echo 0123456789"}, absl::Seconds(10), 4);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->output, "0123");
}

TEST(RunCommandTest, DoesNotWaitForABackgroundHolderOfThePipe) {
  // The shell exits at once while its child keeps stdout open for 5s.
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<CommandResult> result = RunCommand(
      {"/bin/sh", "-c", "echo hi; sleep 5 & exit 0"}, absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, "hi\n");
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  absl::StatusOr<Subprocess> child =
      Subprocess::Spawn({"/nonexistent/program"}, Subprocess::Stdio{});
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(child.status().message(), HasSubstr("/nonexistent/program"));
  EXPECT_EQ(Subprocess::Spawn({}, Subprocess::Stdio{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubprocessTest, StdioGoesWhereAsked) {
  absl::StatusOr<Pipe> in = MakePipe();
  absl::StatusOr<Pipe> out = MakePipe();
  ASSERT_TRUE(in.ok() && out.ok());
  Subprocess::Stdio stdio;
  stdio.in = in->read.get();
  stdio.out = out->write.get();
  absl::StatusOr<Subprocess> child =
      Subprocess::Spawn({"tr", "a-z", "A-Z"}, stdio);
  ASSERT_TRUE(child.ok()) << child.status();
  in->read = ScopedFd();
  out->write = ScopedFd();
  ASSERT_EQ(write(in->write.get(), "hello", 5), 5);
  in->write = ScopedFd();
  char buf[16];
  ssize_t n = read(out->read.get(), buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "HELLO");
  absl::StatusOr<int> code = child->Wait();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(child->Wait().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SubprocessTest, InheritedFdsKeepTheirNumbers) {
  absl::StatusOr<Pipe> kept = MakePipe();
  absl::StatusOr<Pipe> other = MakePipe();  // close-on-exec, not passed
  ASSERT_TRUE(kept.ok() && other.ok());
  Subprocess::Stdio stdio;
  stdio.inherit = {kept->write.get()};
  const std::string script =
      "echo kept >&" + std::to_string(kept->write.get()) + " && ! { true >&" +
      std::to_string(other->write.get()) + "; } 2>/dev/null";
  absl::StatusOr<Subprocess> child =
      Subprocess::Spawn({"/bin/sh", "-c", script}, stdio);
  ASSERT_TRUE(child.ok()) << child.status();
  kept->write = ScopedFd();
  absl::StatusOr<int> code = child->Wait();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  char buf[16];
  ssize_t n = read(kept->read.get(), buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "kept\n");
}

TEST(SubprocessTest, DestructorKillsAndReapsARunningChild) {
  pid_t pid;
  {
    absl::StatusOr<Subprocess> child =
        Subprocess::Spawn({"sleep", "30"}, Subprocess::Stdio{});
    ASSERT_TRUE(child.ok());
    pid = child->pid();
  }
  // Reaped: no such child any more.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ExitCodeTest, FromWaitStatus) {
  EXPECT_EQ(ExitCodeFromWaitStatus(3 << 8), 3);
  EXPECT_EQ(ExitCodeFromWaitStatus(15), 128 + 15);
}

}  // namespace
}  // namespace farm
