// RuncExecutor with real runc: output, exit codes, env and cwd, errors,
// cancellation, concurrency and mount-stub cleanup. Needs root.
#include "worker/executor/runc_executor.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/fs.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fixtures/tree_listing.h"
#include "worker/executor/runc_test_util.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

TEST_F(RuncTest, StreamsBothStreamsLineByLineWithTheExitCode) {
  Outcome outcome =
      Sh("echo out1; echo err1 >&2; echo; echo out2; printf partial; exit 3");
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.status();
  EXPECT_EQ(outcome.code(), 3);
  EXPECT_FALSE(outcome.status->success());
  EXPECT_THAT(outcome.out, ElementsAre("out1", "", "out2", "partial"));
  EXPECT_THAT(outcome.err, ElementsAre("err1"));
  EXPECT_EQ(Sh("true").code(), 0);
}

// Records when each line arrived.
class TimedSink : public OutputSink {
 public:
  void Line(Stream, absl::string_view line) override {
    absl::MutexLock lock(&mu_);
    lines_.push_back({std::string(line), Clock::now()});
  }
  std::vector<std::pair<std::string, Clock::time_point>> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, Clock::time_point>> lines_;
};

TEST_F(RuncTest, LinesArriveWhileTheProcessRuns) {
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", "echo first; sleep 1; echo second"};
  TimedSink sink;
  Cancellation cancel;
  absl::StatusOr<ExitStatus> status =
      executor_->Run(rootfs_, spec, sink, cancel);
  Clock::time_point end = Clock::now();
  ASSERT_TRUE(status.ok()) << status.status();
  auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].first, "first");
  // "first" was delivered a second before the run ended, not at the end.
  EXPECT_GE(end - lines[0].second, std::chrono::milliseconds(800));
}

TEST_F(RuncTest, EnvCwdAndHome) {
  ProcessSpec spec;
  spec.env = {"FOO=bar baz", "EMPTY="};
  spec.cwd = "/work/dir";
  Outcome outcome =
      Sh("pwd; echo \"$FOO\"; echo \"[$EMPTY]\"; echo $HOME", spec);
  ASSERT_EQ(outcome.code(), 0) << outcome.status.status();
  EXPECT_THAT(outcome.out, ElementsAre("/work/dir", "bar baz", "[]", "/root"));
  struct stat st;
  ASSERT_EQ(stat(JoinPath(rootfs_, "work/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(RuncTest, CwdThroughASymlinkStaysInsideTheRootfs) {
  std::string outside = JoinPath(base_, "host-dir");
  ASSERT_TRUE(MakeDirs(outside).ok());
  ASSERT_EQ(symlink(outside.c_str(), JoinPath(rootfs_, "app").c_str()), 0);
  ProcessSpec spec;
  spec.cwd = "/app/sub";
  Outcome outcome = Sh("pwd -P", spec);
  ASSERT_EQ(outcome.code(), 0) << outcome.status.status() << outcome.Out();
  EXPECT_EQ(outcome.Out(),
            JoinPath(outside, "sub"));  // the rootfs's copy of it
  EXPECT_TRUE(
      IsDirectory(JoinPath(rootfs_, JoinPath(outside.substr(1), "sub"))));
  EXPECT_TRUE(ListDir(outside)->empty());
}

TEST_F(RuncTest, CwdThatIsAFileCannotStart) {
  ProcessSpec spec;
  spec.cwd = "/etc/passwd";
  Outcome outcome = Sh("true", spec);
  EXPECT_EQ(outcome.status.status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(outcome.status.status().message(),
              HasSubstr("working directory /etc/passwd: "));
  EXPECT_THAT(outcome.status.status().message(),
              HasSubstr("passwd is not a directory"));
}

TEST_F(RuncTest, MissingExecutableIsAFailedPrecondition) {
  ProcessSpec spec;
  spec.args = {"nosuchcmd", "arg"};
  spec.env = {"PATH=/bin"};
  Outcome outcome = Run(spec);
  EXPECT_EQ(outcome.status.status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      outcome.status.status().message(),
      HasSubstr("exec: \"nosuchcmd\": executable file not found in $PATH"));
}

TEST_F(RuncTest, BadRequestsFailBeforeRunc) {
  ProcessSpec spec;
  spec.args = {"true"};
  LineRecorder sink;
  Cancellation cancel;
  EXPECT_EQ(
      executor_->Run("relative/rootfs", spec, sink, cancel).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(executor_->Run(JoinPath(base_, "none"), spec, sink, cancel)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  spec.args.clear();
  EXPECT_EQ(executor_->Run(rootfs_, spec, sink, cancel).status().code(),
            absl::StatusCode::kInvalidArgument);
  spec.args = {"true"};
  spec.user = "ghost";
  absl::StatusOr<ExitStatus> status =
      executor_->Run(rootfs_, spec, sink, cancel);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.status().message(),
            "unable to find user ghost: no matching entries in passwd file");
  EXPECT_EQ(RuncExecutor::Create({}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RuncTest, MissingRuncIsUnavailable) {
  RuncExecutor::Options options = options_;
  options.runc = "/nonexistent/runc";
  std::unique_ptr<RuncExecutor> executor = *RuncExecutor::Create(options);
  ProcessSpec spec;
  spec.args = {"true"};
  LineRecorder sink;
  Cancellation cancel;
  absl::StatusOr<ExitStatus> status =
      executor->Run(rootfs_, spec, sink, cancel);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.status().message(), HasSubstr("cannot run runc"));
}

TEST_F(RuncTest, CancellationStopsALongRunQuicklyAndCleansUp) {
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", "echo started; sleep 100"};
  Cancellation cancel;
  LineRecorder sink;
  Clock::time_point start = Clock::now();
  std::thread canceller([&] {
    // Cancel once the process is running (its first line arrived).
    while (sink.total_lines() == 0 &&
           Clock::now() - start < std::chrono::seconds(20)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    cancel.Cancel();
  });
  absl::StatusOr<ExitStatus> status =
      executor_->Run(rootfs_, spec, sink, cancel);
  canceller.join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(sink.Tail(), "started\n");
  EXPECT_TRUE(LeftoverContainers().empty());
  absl::StatusOr<CommandResult> list =
      RunCommand({"runc", "--root", executor_->runc_root(), "list", "-q"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->output, "");
}

TEST_F(RuncTest, CancellationRightAfterStartStillStopsTheContainer) {
  ProcessSpec spec;
  spec.args = {"sleep", "100"};
  spec.env = {"PATH=/bin"};
  Cancellation cancel;
  LineRecorder sink;
  Clock::time_point start = Clock::now();
  std::thread canceller([&] { cancel.Cancel(); });
  absl::StatusOr<ExitStatus> status =
      executor_->Run(rootfs_, spec, sink, cancel);
  canceller.join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST_F(RuncTest, TwoRunsAtOnce) {
  // Each waits for the other's file in a shared bind mount: they can only
  // both succeed if they run at the same time.
  std::string shared = JoinPath(base_, "shared");
  ASSERT_TRUE(MakeDirs(shared).ok());
  std::string second_rootfs = NewRootfs("rootfs2");
  auto spec_for = [&](const std::string& mine, const std::string& theirs) {
    ProcessSpec spec;
    spec.args = {"/bin/sh", "-c",
                 "touch /shared/" + mine + "; i=0; while [ ! -e /shared/" +
                     theirs +
                     " ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.05; "
                     "done; echo " +
                     mine + " saw " + theirs};
    spec.mounts.push_back(
        Mount{Mount::Type::kBind, shared, "/shared", false, {}});
    return spec;
  };
  Outcome a, b;
  std::thread other([&] { b = Run(spec_for("b", "a"), second_rootfs); });
  a = Run(spec_for("a", "b"));
  other.join();
  EXPECT_EQ(a.code(), 0) << a.status.status();
  EXPECT_EQ(b.code(), 0) << b.status.status();
  EXPECT_EQ(a.Out(), "a saw b");
  EXPECT_EQ(b.Out(), "b saw a");
}

// Points this process's fd `target` at `path` until destroyed.
class Redirect {
 public:
  Redirect(int target, const std::string& path, int flags)
      : target_(target), saved_(dup(target)) {
    int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    dup2(fd, target);
    close(fd);
  }
  ~Redirect() {
    dup2(saved_, target_);
    close(saved_);
  }

 private:
  int target_;
  int saved_;
};

TEST_F(RuncTest, AttachedStdioIsPassedThrough) {
  std::string in = JoinPath(base_, "stdin"), out = JoinPath(base_, "stdout");
  ASSERT_TRUE(WriteFile(in, "from stdin\n").ok());
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", "cat; echo to stdout"};
  spec.attach_stdio = true;
  Outcome outcome;
  {
    fflush(stdout);
    Redirect stdin_from(STDIN_FILENO, in, O_RDONLY);
    Redirect stdout_to(STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC);
    outcome = Run(spec);
  }
  ASSERT_EQ(outcome.code(), 0) << outcome.status.status();
  EXPECT_TRUE(outcome.out.empty());  // the sink sees nothing
  EXPECT_EQ(*ReadFile(out), "from stdin\nto stdout\n");
}

TEST_F(RuncTest, TtyGivesTheProcessATerminal) {
  // `farm run -t` runs on the user's terminal; here a child process gets a
  // pseudo-terminal as its controlling terminal and runs the container.
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  fflush(stdout);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(master);
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    for (int fd = 0; fd < 3; ++fd) dup2(slave, fd);
    ProcessSpec spec;
    spec.args = {"/bin/sh", "-c", "tty; echo $TERM; exit 4"};
    spec.attach_stdio = spec.tty = true;
    Outcome outcome = Run(spec);
    _exit(outcome.code() == 4 ? 0 : 1);
  }
  close(slave);
  std::string seen;
  char buf[256];
  ssize_t n;
  while ((n = read(master, buf, sizeof(buf))) > 0)
    seen.append(buf, n);  // EIO at the end
  close(master);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
  EXPECT_THAT(seen, HasSubstr("/dev/pts/0\r\nxterm\r\n"));
}

TEST_F(RuncTest, MountStubsDoNotRemainInTheRootfs) {
  // No /proc, /dev, /sys, /etc/hosts, /etc/resolv.conf, /mnt or /run here.
  std::string bare = NewRootfs("bare", /*runtime_mount_points=*/false);
  std::string cache = JoinPath(base_, "cache");
  std::string secret = JoinPath(base_, "token");
  ASSERT_TRUE(MakeDirs(cache).ok());
  ASSERT_TRUE(WriteFile(secret, "s3cret\n").ok());
  absl::StatusOr<std::string> before = fixtures::ListTree(bare);
  ASSERT_TRUE(before.ok()) << before.status();

  ProcessSpec spec;
  spec.args = {
      "/bin/sh", "-c",
      "cat /run/secrets/token; ls /mnt/cache >/dev/null; head -c0 /etc/hosts; "
      "test -e /proc/self/status && test -c /dev/null && test -d /sys/kernel"};
  spec.mounts.push_back(
      Mount{Mount::Type::kBind, cache, "/mnt/cache", false, {}});
  spec.mounts.push_back(
      Mount{Mount::Type::kBind, secret, "/run/secrets/token", true, {}});
  spec.mounts.push_back(
      Mount{Mount::Type::kTmpfs, "", "/scratch/tmp", false, {}});
  spec.bind_etc_hostname = true;
  Outcome outcome = Run(spec, bare);
  ASSERT_EQ(outcome.code(), 0)
      << outcome.status.status() << absl::StrJoin(outcome.err, "\n");
  EXPECT_EQ(outcome.Out(), "s3cret");
  EXPECT_EQ(*fixtures::ListTree(bare), *before);

  // A failed start cleans up the same way.
  spec.args = {"/no/such/program"};
  EXPECT_EQ(Run(spec, bare).status.status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*fixtures::ListTree(bare), *before);
}

TEST_F(RuncTest, BuildKitStubParityLeavesProcDevAndSys) {
  std::string bare = NewRootfs("bare", /*runtime_mount_points=*/false);
  RuncExecutor::Options options = options_;
  options.remove_system_stubs = false;
  executor_ = *RuncExecutor::Create(options);
  ProcessSpec spec;
  spec.args = {"/bin/true"};
  ASSERT_EQ(Run(spec, bare).code(), 0);
  for (const char* dir : {"proc", "dev", "sys"}) {
    EXPECT_TRUE(IsDirectory(JoinPath(bare, dir))) << dir;
    EXPECT_TRUE(ListDir(JoinPath(bare, dir))->empty()) << dir;
  }
  EXPECT_FALSE(PathExists(JoinPath(bare, "etc/hosts")));
  EXPECT_FALSE(PathExists(JoinPath(bare, "etc/resolv.conf")));
}

TEST_F(RuncTest, WhatTheProcessWritesStays) {
  std::string bare = NewRootfs("bare", /*runtime_mount_points=*/false);
  ProcessSpec spec;
  // /etc/hosts is a read-only mount; /etc gets a real new file.
  spec.args = {"/bin/sh", "-c", "echo hi > /etc/motd; mkdir -p /data/x"};
  ASSERT_EQ(Run(spec, bare).code(), 0);
  EXPECT_EQ(*ReadFile(JoinPath(bare, "etc/motd")), "hi\n");
  EXPECT_TRUE(IsDirectory(JoinPath(bare, "data/x")));
  EXPECT_FALSE(PathExists(JoinPath(bare, "etc/hosts")));
  EXPECT_FALSE(PathExists(JoinPath(bare, "proc")));
}

}  // namespace
}  // namespace farm::executor
