// NetworkSandbox, NetworkNamespace and Slirp4netns with real slirp4netns, no
// runc: what the namespace holds, errors, and that nothing is left behind on
// any path, also after a process died with a sandbox open or an older farm
// left bind-mounted namespace files. Needs root.
#include "worker/executor/network/network_sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
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
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/network/network_namespace.h"
#include "worker/executor/network/network_test_util.h"
#include "worker/executor/network/slirp4netns.h"

namespace farm::executor::network {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
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

// The nsfs mounts in this process's mount table: "MOUNT_POINT ROOT" each.
std::vector<std::string> NsfsMounts() {
  std::vector<std::string> out;
  absl::StatusOr<std::string> table = ReadFile("/proc/self/mountinfo");
  if (!table.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*table, '\n')) {
    // "ID PARENT MAJ:MIN ROOT MOUNT_POINT ... - TYPE SOURCE OPTIONS"
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && absl::StrContains(line, " - nsfs ")) {
      out.push_back(absl::StrCat(fields[4], " ", fields[3]));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What a farm before NetworkNamespace left: a network namespace of its own
// bind-mounted on `path`. Returns its id, "" on failure.
std::string BindLegacyNamespaceFile(const std::string& path) {
  if (!WriteFile(path, "", 0444).ok()) return "";
  bool bound = false;
  std::thread([&] {
    bound = unshare(CLONE_NEWNET) == 0 &&
            mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND,
                  nullptr) == 0;
  }).join();
  return bound ? NamespaceId(path) : "";
}

// A namespace path of this process: "/proc/PID/fd/N".
std::string OwnFdPattern() {
  return absl::StrCat("/proc/", getpid(), "/fd/[0-9]+");
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
  EXPECT_THAT(path, MatchesRegex(OwnFdPattern()));
  EXPECT_THAT(Interfaces(path), ElementsAre("lo 127.0.0.1 UP", "lo UP",
                                            "tap0 10.0.2.100 UP", "tap0 UP"));
  EXPECT_THAT(Left(),
              ElementsAre("farm-0123.api", "farm-0123.lock", "farm-0123.log"));
  const pid_t slirp = (*sandbox)->slirp4netns_pid();
  const std::string id = NamespaceId(path);
  ASSERT_THAT(id, MatchesRegex("net:\\[[0-9]+\\]"));
  EXPECT_THAT(NamespaceHolders(id),
              ElementsAre(absl::StrCat(getpid(), " holds it open")));

  sandbox->reset();
  EXPECT_THAT(Left(), IsEmpty());
  EXPECT_NE(kill(slirp, 0), 0);      // reaped, not a zombie
  EXPECT_EQ(NamespaceId(path), "");  // the descriptor is closed
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

// A worker that dies with a sandbox open: slirp4netns exits by itself, the
// namespace goes with the process, and RemoveStale clears its files but
// keeps those of a live sandbox.
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
    struct {
      pid_t slirp = -1;
      char id[64] = {};
    } report_data;
    if (doomed.ok()) {
      report_data.slirp = (*doomed)->slirp4netns_pid();
      const std::string id = NamespaceId((*doomed)->namespace_path());
      id.copy(report_data.id, sizeof(report_data.id) - 1);
    }
    (void)!write(report[1], &report_data, sizeof(report_data));
    _exit(0);  // no destructors: as a crash
  }
  close(report[1]);
  struct {
    pid_t slirp = -1;
    char id[64] = {};
  } dead;
  ASSERT_EQ(read(report[0], &dead, sizeof(dead)),
            static_cast<ssize_t>(sizeof(dead)));
  close(report[0]);
  int wait_status;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_GT(dead.slirp, 0);
  const std::string dead_id = dead.id;
  ASSERT_THAT(dead_id, MatchesRegex("net:\\[[0-9]+\\]"));
  EXPECT_TRUE(Ends(dead.slirp)) << "slirp4netns outlived its owner";
  EXPECT_THAT(NamespaceHolders(dead_id), IsEmpty());
  EXPECT_THAT(Left(),
              ElementsAre("farm-dead.api", "farm-dead.lock", "farm-dead.log",
                          "farm-live.api", "farm-live.lock", "farm-live.log"));
  // Leftovers of a crash between steps: no lock.
  ASSERT_TRUE(WriteFile(JoinPath(options_.dir, "farm-old.log"), "x").ok());

  ASSERT_TRUE(NetworkSandbox::RemoveStale(options_.dir).ok());
  EXPECT_THAT(Left(),
              ElementsAre("farm-live.api", "farm-live.lock", "farm-live.log"));
  EXPECT_THAT(
      Interfaces((*live)->namespace_path()),
      ElementsAre("lo 127.0.0.1 UP", "lo UP", "tap0 10.0.2.100 UP", "tap0 UP"));
  live->reset();
  EXPECT_THAT(Left(), IsEmpty());
  EXPECT_TRUE(NetworkSandbox::RemoveStale(JoinPath(base_, "missing")).ok());
}

// A process killed with SIGKILL while it holds a namespace and a sandbox
// (Bazel ending a test, `kill -9` of a worker): no nsfs mount is left, and
// the kernel frees both namespaces.
TEST_F(NetworkSandboxTest, NothingOutlivesAProcessKilledWithSigkill) {
  const std::vector<std::string> mounts_before = NsfsMounts();
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<NetworkNamespace> ns = NetworkNamespace::Create();
    absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox =
        NetworkSandbox::Open(options_, "farm-killed");
    std::string ids = "failed";
    if (ns.ok() && sandbox.ok()) {
      ids = absl::StrCat(NamespaceId(ns->path()), " ",
                         NamespaceId((*sandbox)->namespace_path()), " ",
                         (*sandbox)->slirp4netns_pid(), "\n");
    }
    (void)!write(report[1], ids.data(), ids.size());
    pause();
    _exit(0);
  }
  close(report[1]);
  char buffer[256] = {};
  ssize_t n = read(report[0], buffer, sizeof(buffer) - 1);
  close(report[0]);
  std::vector<std::string> reported =
      absl::StrSplit(absl::string_view(buffer, n > 0 ? n : 0), ' ');
  kill(child, SIGKILL);
  int wait_status;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_EQ(reported.size(), 3u) << buffer;
  const std::string ns_id = reported[0], sandbox_id = reported[1];
  const pid_t slirp = std::atoi(reported[2].c_str());
  ASSERT_THAT(ns_id, MatchesRegex("net:\\[[0-9]+\\]"));
  ASSERT_THAT(sandbox_id, MatchesRegex("net:\\[[0-9]+\\]"));
  EXPECT_NE(ns_id, sandbox_id);
  ASSERT_TRUE(WIFSIGNALED(wait_status));

  EXPECT_TRUE(Ends(slirp)) << "slirp4netns outlived its owner";
  // Only what other processes of the host mounted meanwhile may differ.
  std::vector<std::string> new_mounts;
  for (const std::string& mount : NsfsMounts()) {
    if (!std::binary_search(mounts_before.begin(), mounts_before.end(),
                            mount) &&
        (absl::StrContains(mount, base_) || absl::StrContains(mount, ns_id) ||
         absl::StrContains(mount, sandbox_id))) {
      new_mounts.push_back(mount);
    }
  }
  EXPECT_THAT(new_mounts, IsEmpty());
  EXPECT_THAT(NamespaceHolders(ns_id), IsEmpty());
  EXPECT_THAT(NamespaceHolders(sandbox_id), IsEmpty());
  ASSERT_TRUE(NetworkSandbox::RemoveStale(options_.dir).ok());
  EXPECT_THAT(Left(), IsEmpty());
}

// What farm left before namespaces were held by descriptors: NAME.net with
// a namespace bind-mounted on it, with or without a lock that is free.
// RemoveStale unmounts and removes them, which frees the namespaces.
TEST_F(NetworkSandboxTest, RemoveStaleUnmountsNamespaceFilesOfOlderFarms) {
  // The test's mounts stay in a mount namespace of this process, so that
  // they cannot outlive it even if it dies before RemoveStale. The process
  // has a single thread here, as unshare(CLONE_NEWNS) needs.
  ASSERT_EQ(unshare(CLONE_NEWNS), 0) << strerror(errno);
  ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
      << strerror(errno);
  ASSERT_TRUE(MakeDirs(options_.dir).ok());
  const std::string locked_id =
      BindLegacyNamespaceFile(JoinPath(options_.dir, "farm-a.net"));
  const std::string lockless_id =
      BindLegacyNamespaceFile(JoinPath(options_.dir, "farm-b.net"));
  ASSERT_THAT(locked_id, MatchesRegex("net:\\[[0-9]+\\]"));
  ASSERT_THAT(lockless_id, MatchesRegex("net:\\[[0-9]+\\]"));
  ASSERT_TRUE(WriteFile(JoinPath(options_.dir, "farm-a.lock"), "").ok());
  ASSERT_TRUE(WriteFile(JoinPath(options_.dir, "farm-a.log"), "x").ok());
  // One never mounted, as a crash before the bind mount left it.
  ASSERT_TRUE(WriteFile(JoinPath(options_.dir, "farm-c.net"), "").ok());
  EXPECT_THAT(Interfaces(JoinPath(options_.dir, "farm-a.net")),
              ElementsAre("lo DOWN"));
  EXPECT_THAT(NamespaceHolders(locked_id),
              Contains(absl::StrCat(getpid(), " mounts it")));
  EXPECT_THAT(NamespaceHolders(lockless_id),
              Contains(absl::StrCat(getpid(), " mounts it")));

  ASSERT_TRUE(NetworkSandbox::RemoveStale(options_.dir).ok());
  EXPECT_THAT(Left(), IsEmpty());
  EXPECT_THAT(NamespaceHolders(locked_id), IsEmpty());
  EXPECT_THAT(NamespaceHolders(lockless_id), IsEmpty());
  for (const std::string& mount : NsfsMounts()) {
    EXPECT_FALSE(absl::StrContains(mount, base_)) << mount;
  }
}

TEST(NetworkNamespaceTest, IsAFreshNamespaceHeldByADescriptor) {
  absl::StatusOr<NetworkNamespace> ns = NetworkNamespace::Create();
  ASSERT_TRUE(ns.ok()) << ns.status();
  const std::string path = ns->path();
  EXPECT_THAT(path, MatchesRegex(OwnFdPattern()));
  const int fd = std::atoi(path.substr(path.rfind('/') + 1).c_str());
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  EXPECT_THAT(Interfaces(path), ElementsAre("lo DOWN"));
  const std::string id = NamespaceId(path);
  ASSERT_THAT(id, MatchesRegex("net:\\[[0-9]+\\]"));
  EXPECT_NE(id, NamespaceId("/proc/self/ns/net"));
  EXPECT_THAT(NamespaceHolders(id),
              ElementsAre(absl::StrCat(getpid(), " holds it open")));

  // Moving hands the descriptor over.
  NetworkNamespace moved = *std::move(ns);
  EXPECT_EQ(ns->path(), "");
  EXPECT_EQ(moved.path(), path);
  ns->Close();
  EXPECT_EQ(NamespaceId(path), id);

  moved.Close();
  EXPECT_EQ(moved.path(), "");
  const int closed = fcntl(fd, F_GETFD);
  const int error = errno;
  EXPECT_EQ(closed, -1);
  EXPECT_EQ(error, EBADF);
  EXPECT_THAT(NamespaceHolders(id), IsEmpty());
  moved.Close();  // idempotent
}

TEST(NetworkNamespaceTest, EachIsNew) {
  absl::StatusOr<NetworkNamespace> a = NetworkNamespace::Create();
  absl::StatusOr<NetworkNamespace> b = NetworkNamespace::Create();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->path(), b->path());
  EXPECT_NE(NamespaceId(a->path()), NamespaceId(b->path()));
  // The destructor closes the descriptor.
  const std::string id = NamespaceId(a->path());
  { NetworkNamespace gone = *std::move(a); }
  EXPECT_THAT(NamespaceHolders(id), IsEmpty());
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
  EXPECT_THAT(
      Slirp4netnsArgv("slirp4netns", "/proc/42/fd/5", 7, 9),
      ElementsAre("slirp4netns", "--configure", "--mtu=65520",
                  "--disable-host-loopback", "--enable-sandbox",
                  "--enable-seccomp", "--netns-type=path", "--ready-fd=7",
                  "--exit-fd=9", "/proc/42/fd/5", "tap0"));
  EXPECT_THAT(
      Slirp4netnsArgv("slirp4netns", "/proc/42/fd/5", 7, 9, "/s/x.api"),
      ElementsAre("slirp4netns", "--api-socket=/s/x.api", "--configure",
                  "--mtu=65520", "--disable-host-loopback", "--enable-sandbox",
                  "--enable-seccomp", "--netns-type=path", "--ready-fd=7",
                  "--exit-fd=9", "/proc/42/fd/5", "tap0"));
}

}  // namespace
}  // namespace farm::executor::network
