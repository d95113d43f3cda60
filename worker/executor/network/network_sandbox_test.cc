// NetworkSandbox, NamespaceFile and Slirp4netns with real slirp4netns, no
// runc: what the namespace holds, errors, and that nothing is left behind on
// any path, also after a process died with a sandbox open. Needs root.
#include "worker/executor/network/network_sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/network/namespace_file.h"
#include "worker/executor/network/network_test_util.h"
#include "worker/executor/network/slirp4netns.h"

namespace farm::executor::network {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// "NAME[ ADDRESS] UP|DOWN" for each interface of the namespace at `path`.
std::vector<std::string> Interfaces(const std::string& path) {
  std::vector<std::string> out;
  std::thread([&] {
    ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || setns(fd.get(), CLONE_NEWNET) != 0) {
      out.push_back(absl::StrCat("setns failed: ", strerror(errno)));
      return;
    }
    ifaddrs* addrs = nullptr;
    if (getifaddrs(&addrs) != 0) return;
    for (ifaddrs* a = addrs; a != nullptr; a = a->ifa_next) {
      const int family = a->ifa_addr ? a->ifa_addr->sa_family : -1;
      if (family != AF_INET && family != AF_PACKET) continue;
      std::string entry = a->ifa_name;
      if (family == AF_INET) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET,
                  &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text,
                  sizeof(text));
        absl::StrAppend(&entry, " ", text);
      }
      absl::StrAppend(&entry, (a->ifa_flags & IFF_UP) ? " UP" : " DOWN");
      out.push_back(entry);
    }
    freeifaddrs(addrs);
  }).join();
  std::sort(out.begin(), out.end());
  return out;
}

// True once `pid` is gone or a zombie, within two seconds.
bool Ends(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<std::string> stat =
        ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    if (!stat.ok() || absl::StrContains(*stat, ") Z ")) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

class NetworkSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("netns");
    ASSERT_TRUE(dir.ok()) << dir.status();
    base_ = *dir;
    options_.dir = JoinPath(base_, "netns");
  }
  void TearDown() override { RemoveAll(base_).IgnoreError(); }

  std::vector<std::string> Left() {
    absl::StatusOr<std::vector<std::string>> names = ListDir(options_.dir);
    return names.ok() ? *names : std::vector<std::string>{};
  }
  // A stand-in slirp4netns running `script`.
  std::string FakeSlirp(const std::string& script) {
    std::string path = JoinPath(base_, "fake-slirp4netns");
    EXPECT_TRUE(WriteFile(path, "#!/bin/sh\n" + script + "\n", 0755).ok());
    return path;
  }

  std::string base_;
  NetworkSandbox::Options options_;
};

TEST_F(NetworkSandboxTest, Tap0IsUpAndTeardownLeavesNothing) {
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox =
      NetworkSandbox::Open(options_, "farm-0123");
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  const std::string path = (*sandbox)->namespace_path();
  EXPECT_EQ(path, JoinPath(options_.dir, "farm-0123.net"));
  EXPECT_THAT(Interfaces(path), ElementsAre("lo 127.0.0.1 UP", "lo UP",
                                            "tap0 10.0.2.100 UP", "tap0 UP"));
  EXPECT_THAT(Left(), ElementsAre("farm-0123.api", "farm-0123.lock",
                                  "farm-0123.log", "farm-0123.net"));
  const pid_t slirp = (*sandbox)->slirp4netns_pid();
  const std::string id = NamespaceId(path);
  ASSERT_NE(id, "");
  EXPECT_THAT(NamespaceHolders(id), Not(IsEmpty()));

  sandbox->reset();
  EXPECT_THAT(Left(), IsEmpty());
  EXPECT_NE(kill(slirp, 0), 0);  // reaped, not a zombie
  EXPECT_THAT(NamespaceHolders(id), IsEmpty());
  EXPECT_THAT(Slirp4netnsChildren(), IsEmpty());
}

TEST_F(NetworkSandboxTest, MissingSlirp4netnsIsUnavailableAndSaysHowToInstall) {
  options_.slirp4netns.binary = "/nonexistent/slirp4netns";
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox =
      NetworkSandbox::Open(options_, "farm-1");
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(sandbox.status().message(),
              AllOf(HasSubstr("slirp4netns not found"),
                    HasSubstr("apt-get install slirp4netns")));
  EXPECT_THAT(Left(), IsEmpty());
}

TEST_F(NetworkSandboxTest, FailingSlirp4netnsIsUnavailableWithItsOutput) {
  options_.slirp4netns.binary =
      FakeSlirp("echo 'open(/dev/net/tun): nope' >&2; exit 3");
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox =
      NetworkSandbox::Open(options_, "farm-2");
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(sandbox.status().message(),
              AllOf(HasSubstr("slirp4netns exited (exit code 3)"),
                    HasSubstr("open(/dev/net/tun): nope")));
  EXPECT_THAT(Left(), IsEmpty());
}

TEST_F(NetworkSandboxTest, Slirp4netnsThatNeverGetsReadyTimesOut) {
  options_.slirp4netns.binary =
      FakeSlirp("echo $$ > " + base_ + "/pid; exec sleep 60");
  options_.slirp4netns.ready_timeout = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox =
      NetworkSandbox::Open(options_, "farm-3");
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(sandbox.status().message(),
              HasSubstr("slirp4netns did not configure the network in 300ms"));
  EXPECT_THAT(Left(), IsEmpty());
  absl::StatusOr<std::string> pid = ReadFile(base_ + "/pid");
  ASSERT_TRUE(pid.ok());
  EXPECT_NE(kill(std::stoi(*pid), 0), 0);
}

TEST_F(NetworkSandboxTest, NamesAreUnique) {
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> first =
      NetworkSandbox::Open(options_, "farm-4");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> second =
      NetworkSandbox::Open(options_, "farm-4");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("farm-4.lock"));
  EXPECT_THAT(
      Interfaces((*first)->namespace_path()),
      ElementsAre("lo 127.0.0.1 UP", "lo UP", "tap0 10.0.2.100 UP", "tap0 UP"));
}

// A worker that dies with a sandbox open: slirp4netns exits by itself, and
// RemoveStale clears its files but keeps those of a live sandbox.
TEST_F(NetworkSandboxTest, RemoveStaleClearsWhatADeadProcessLeft) {
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> live =
      NetworkSandbox::Open(options_, "farm-live");
  ASSERT_TRUE(live.ok()) << live.status();

  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<NetworkSandbox>> doomed =
        NetworkSandbox::Open(options_, "farm-dead");
    pid_t slirp = doomed.ok() ? (*doomed)->slirp4netns_pid() : -1;
    (void)!write(report[1], &slirp, sizeof(slirp));
    _exit(0);  // no destructors: as a crash
  }
  close(report[1]);
  pid_t dead_slirp = -1;
  ASSERT_EQ(read(report[0], &dead_slirp, sizeof(dead_slirp)),
            static_cast<ssize_t>(sizeof(dead_slirp)));
  close(report[0]);
  int wait_status;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_GT(dead_slirp, 0);
  EXPECT_TRUE(Ends(dead_slirp)) << "slirp4netns outlived its owner";
  const std::string dead_id =
      NamespaceId(JoinPath(options_.dir, "farm-dead.net"));
  ASSERT_NE(dead_id, "");
  EXPECT_THAT(Left(),
              ElementsAre("farm-dead.api", "farm-dead.lock", "farm-dead.log",
                          "farm-dead.net", "farm-live.api", "farm-live.lock",
                          "farm-live.log", "farm-live.net"));
  // Leftovers of an older layout or a crash between steps: no lock.
  ASSERT_TRUE(WriteFile(JoinPath(options_.dir, "farm-old.log"), "x").ok());

  ASSERT_TRUE(NetworkSandbox::RemoveStale(options_.dir).ok());
  EXPECT_THAT(Left(), ElementsAre("farm-live.api", "farm-live.lock",
                                  "farm-live.log", "farm-live.net"));
  EXPECT_THAT(NamespaceHolders(dead_id), IsEmpty());
  EXPECT_THAT(
      Interfaces((*live)->namespace_path()),
      ElementsAre("lo 127.0.0.1 UP", "lo UP", "tap0 10.0.2.100 UP", "tap0 UP"));
  live->reset();
  EXPECT_THAT(Left(), IsEmpty());
  EXPECT_TRUE(NetworkSandbox::RemoveStale(JoinPath(base_, "missing")).ok());
}

TEST(NamespaceFileTest, AFreshNamespaceHoldsOnlyLoopbackDown) {
  absl::StatusOr<std::string> dir = MakeTempDir("nsfile");
  ASSERT_TRUE(dir.ok());
  const std::string path = JoinPath(*dir, "ns");
  {
    absl::StatusOr<NamespaceFile> ns = NamespaceFile::Create(path);
    ASSERT_TRUE(ns.ok()) << ns.status();
    EXPECT_THAT(Interfaces(path), ElementsAre("lo DOWN"));
    EXPECT_EQ(NamespaceFile::Create(path).status().code(),
              absl::StatusCode::kAlreadyExists);
    EXPECT_TRUE(ns->Remove().ok());
    EXPECT_FALSE(PathExists(path));
    EXPECT_TRUE(ns->Remove().ok());
  }
  // Never mounted, or already gone: both fine.
  ASSERT_TRUE(WriteFile(path, "").ok());
  EXPECT_TRUE(RemoveNamespaceFile(path).ok());
  EXPECT_TRUE(RemoveNamespaceFile(path).ok());
  RemoveAll(*dir).IgnoreError();
}

// A free TCP port on the host, for a published port.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(NetworkSandboxTest, PublishesAHostPortOnceAndSaysWhenItIsTaken) {
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox =
      NetworkSandbox::Open(options_, "farm-ports");
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  const int port = FreePort();
  HostForward forward{"tcp", "127.0.0.1", port, 80};
  absl::Status published = (*sandbox)->Publish(forward);
  ASSERT_TRUE(published.ok()) << published;
  // slirp4netns listens on the host port now.
  absl::Status again = (*sandbox)->Publish(forward);
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_EQ(again.message(),
            absl::StrCat("Bind for 127.0.0.1:", port,
                         " failed: port is already allocated"));
  forward.protocol = "sctp";
  EXPECT_TRUE(absl::IsInvalidArgument((*sandbox)->Publish(forward)));
}

TEST(HostForwardRequestTest, IsSlirp4netnsAddHostfwd) {
  EXPECT_EQ(HostForwardRequest({"udp", "0.0.0.0", 5353, 53}),
            "{\"arguments\":{\"guest_port\":53,\"host_addr\":\"0.0.0.0\","
            "\"host_port\":5353,\"proto\":\"udp\"},\"execute\":"
            "\"add_hostfwd\"}");
}

TEST(Slirp4netnsArgvTest, ConfinesSlirp4netnsAndKeepsTheHostsLoopbackOut) {
  EXPECT_THAT(Slirp4netnsArgv("slirp4netns", "/s/x.net", 7, 9),
              ElementsAre("slirp4netns", "--configure", "--mtu=65520",
                          "--disable-host-loopback", "--enable-sandbox",
                          "--enable-seccomp", "--netns-type=path",
                          "--ready-fd=7", "--exit-fd=9", "/s/x.net", "tap0"));
  EXPECT_THAT(
      Slirp4netnsArgv("slirp4netns", "/s/x.net", 7, 9, "/s/x.api"),
      ElementsAre("slirp4netns", "--api-socket=/s/x.api", "--configure",
                  "--mtu=65520", "--disable-host-loopback", "--enable-sandbox",
                  "--enable-seccomp", "--netns-type=path", "--ready-fd=7",
                  "--exit-fd=9", "/s/x.net", "tap0"));
}

}  // namespace
}  // namespace farm::executor::network
