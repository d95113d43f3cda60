// RuncExecutor's handling of runc itself (escalation on cancel, runc errors,
// failed deletes), driven by a scripted stand-in for the runc binary. Needs
// no root: nothing is really mounted.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/runc_executor.h"

namespace farm::executor {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// The stand-in logs each call to CALLS and behaves per subcommand.
constexpr char kFakeRunc[] = R"(#!/bin/sh
echo "$*" >> CALLS
log=""; prev=""
for arg in "$@"; do [ "$prev" = "--log" ] && log="$arg"; prev="$arg"; done
case " $* " in
  *" run "*) RUN ;;
  *" kill "*) KILL ;;
  *" delete "*) DELETE ;;
esac
)";

class RuncLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("lifecycle");
    ASSERT_TRUE(dir.ok());
    base_ = *dir;
    rootfs_ = JoinPath(base_, "rootfs");
    ASSERT_TRUE(MakeDirs(JoinPath(rootfs_, "etc")).ok());
    calls_ = JoinPath(base_, "calls");
  }
  void TearDown() override { RemoveAll(base_).IgnoreError(); }

  // Installs a fake runc with the given shell snippets.
  std::unique_ptr<RuncExecutor> Executor(const std::string& run,
                                         const std::string& kill = "exit 0",
                                         const std::string& del = "exit 0") {
    std::string script = absl::StrReplaceAll(
        kFakeRunc,
        {{"CALLS", calls_}, {"RUN", run}, {"KILL", kill}, {"DELETE", del}});
    std::string path = JoinPath(base_, "runc");
    EXPECT_TRUE(WriteFile(path, script, 0755).ok());
    chmod(path.c_str(), 0755);
    RuncExecutor::Options options;
    options.state_dir = JoinPath(base_, "state");
    options.runc = path;
    options.kill_grace = absl::Milliseconds(300);
    return *RuncExecutor::Create(options);
  }

  absl::StatusOr<ExitStatus> Run(RuncExecutor& executor, LineRecorder& sink,
                                 const Cancellation& cancel) {
    ProcessSpec spec;
    spec.args = {"true"};
    return executor.Run(rootfs_, spec, sink, cancel);
  }

  std::string base_, rootfs_, calls_;
};

TEST_F(RuncLifecycleTest, AnUnresponsiveRuncIsKilledAfterTheGracePeriod) {
  // `runc kill` does nothing and `runc run` never ends by itself.
  std::unique_ptr<RuncExecutor> executor = Executor("exec sleep 100");
  Cancellation cancel;
  LineRecorder sink;
  Clock::time_point start = Clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel.Cancel();
  });
  absl::StatusOr<ExitStatus> status = Run(*executor, sink, cancel);
  canceller.join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  std::string calls = *ReadFile(calls_);
  EXPECT_THAT(calls, HasSubstr(" kill farm-"));
  EXPECT_THAT(calls, HasSubstr(" KILL\n"));
  EXPECT_THAT(calls, HasSubstr(" delete --force farm-"));
  // The mount stubs runc never used are gone as well.
  EXPECT_FALSE(PathExists(JoinPath(rootfs_, "proc")));
  EXPECT_TRUE(ListDir(JoinPath(base_, "state/bundles"))->empty());
}

TEST_F(RuncLifecycleTest, AnExitCodeWithoutRuncErrorsIsTheProcesses) {
  std::unique_ptr<RuncExecutor> executor =
      Executor("echo out; echo err >&2; exit 5");
  Cancellation cancel;
  LineRecorder sink;
  absl::StatusOr<ExitStatus> status = Run(*executor, sink, cancel);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code, 5);
  EXPECT_EQ(sink.Tail(), "out\nerr\n");
}

TEST_F(RuncLifecycleTest, RuncErrorsInItsLogBecomeStatuses) {
  std::unique_ptr<RuncExecutor> executor = Executor(
      R"(echo '{"level":"warning","msg":"ignored"}' >> "$log";)"
      R"( echo '{"level":"error","msg":"cgroups: cannot create"}' >> "$log"; exit 1)");
  Cancellation cancel;
  LineRecorder sink;
  absl::StatusOr<ExitStatus> status = Run(*executor, sink, cancel);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.status().message(), "cgroups: cannot create");
}

TEST_F(RuncLifecycleTest, AFailedDeleteIsReported) {
  std::unique_ptr<RuncExecutor> executor =
      Executor("exit 0", "exit 0", "echo 'container is paused' >&2; exit 1");
  Cancellation cancel;
  LineRecorder sink;
  absl::StatusOr<ExitStatus> status = Run(*executor, sink, cancel);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.status().message(), HasSubstr("container is paused"));
  EXPECT_FALSE(PathExists(JoinPath(rootfs_, "proc")));
}

TEST_F(RuncLifecycleTest, CancelledBeforeStartRunsNothing) {
  std::unique_ptr<RuncExecutor> executor = Executor("exit 0");
  Cancellation cancel;
  cancel.Cancel();
  LineRecorder sink;
  EXPECT_EQ(Run(*executor, sink, cancel).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_FALSE(PathExists(calls_));
  EXPECT_FALSE(PathExists(JoinPath(rootfs_, "proc")));
}

}  // namespace
}  // namespace farm::executor
