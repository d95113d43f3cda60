// RUN's network modes through RuncExecutor with real runc and slirp4netns:
// what a container sees and reaches in kPrivate, kNone and kHost, its
// resolv.conf, that a raw socket in kPrivate sees none of the host's traffic,
// that runc joins the namespace the sandbox holds (through /proc/PID/fd/N),
// and that no slirp4netns, namespace or file outlives a run on any path.
// Needs root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/etc_files.h"
#include "worker/executor/network/network_test_util.h"
#include "worker/executor/network/slirp4netns.h"
#include "worker/executor/runc_executor.h"
#include "worker/executor/runc_test_util.h"

namespace farm::executor {
namespace {

using network::NamespaceHolders;
using network::Slirp4netnsChildren;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

ProcessSpec In(NetworkMode mode) {
  ProcessSpec spec;
  spec.network = mode;
  return spec;
}

// A TCP server on `address`:0 that says "hello" to whoever connects.
class HelloServer {
 public:
  explicit HelloServer(const char* address) {
    fd_ = ScopedFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, address, &addr.sin_addr);
    socklen_t len = sizeof(addr);
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(fd_.get(), 16) != 0 ||
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on " << address;
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HelloServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd fd = {fd_.get(), POLLIN, 0};
      if (poll(&fd, 1, 50) <= 0) continue;
      ScopedFd client(accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.get() < 0) continue;
      ++connections_;
      (void)!write(client.get(), "hello\n", 6);
    }
  }

  ScopedFd fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// UDP datagrams holding `marker`, sent over the host's loopback every 5 ms
// while it lives.
class LoopbackChatter {
 public:
  explicit LoopbackChatter(std::string marker)
      : thread_([this, marker = std::move(marker)] {
          ScopedFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
          sockaddr_in to = {};
          to.sin_family = AF_INET;
          to.sin_port = htons(9);  // discard
          to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          while (!stop_) {
            sendto(fd.get(), marker.data(), marker.size(), 0,
                   reinterpret_cast<sockaddr*>(&to), sizeof(to));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }) {}
  ~LoopbackChatter() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Records the namespace ids ("net:[N]") a run prints and opens each while
// the run lasts, through the descriptor this process holds it by, so that
// the kernel cannot give its number to a namespace made later. Those of
// runs that never overlap can then be compared.
class NamespaceKeeper : public OutputSink {
 public:
  void Line(Stream stream, absl::string_view line) override {
    if (stream != Stream::kStdout) return;
    lines_.emplace_back(line);
    if (!absl::StartsWith(line, "net:[")) return;
    ids_.emplace_back(line);
    absl::StatusOr<std::vector<std::string>> fds = ListDir("/proc/self/fd");
    for (const std::string& fd : fds.value_or(std::vector<std::string>{})) {
      const std::string path = "/proc/self/fd/" + fd;
      char link[64] = {};
      if (readlink(path.c_str(), link, sizeof(link) - 1) > 0 && line == link) {
        kept_.emplace_back(open(path.c_str(), O_RDONLY | O_CLOEXEC));
        return;
      }
    }
    ADD_FAILURE() << "this process holds no descriptor of " << line;
  }
  const std::vector<std::string>& ids() const { return ids_; }
  const std::vector<std::string>& lines() const { return lines_; }
  void Release() { kept_.clear(); }

 private:
  std::vector<std::string> lines_;  // all of stdout
  std::vector<std::string> ids_;
  std::vector<ScopedFd> kept_;
};

// The first IPv4 address of this host that is not loopback, or "".
std::string HostAddress() {
  ifaddrs* addrs = nullptr;
  if (getifaddrs(&addrs) != 0) return "";
  std::string found;
  for (ifaddrs* a = addrs; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    in_addr ip = reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr;
    if ((ntohl(ip.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    found = inet_ntop(AF_INET, &ip, text, sizeof(text));
  }
  freeifaddrs(addrs);
  return found;
}

class NetworkTest : public RuncTest {
 protected:
  void TearDown() override {
    EXPECT_THAT(SandboxFiles(), IsEmpty());
    EXPECT_THAT(Slirp4netnsChildren(), IsEmpty());
    RuncTest::TearDown();
  }

  // Runs `script` and expects exit code 0; returns stdout.
  std::string Check(const std::string& script, ProcessSpec spec = {}) {
    Outcome outcome = Sh(script, spec);
    EXPECT_EQ(outcome.code(), 0) << script << ": " << outcome.status.status()
                                 << " " << absl::StrJoin(outcome.err, "\n");
    return outcome.Out();
  }
  // What the network sandboxes keep in STATE/netns (locks, logs, API
  // sockets).
  std::vector<std::string> SandboxFiles() {
    absl::StatusOr<std::vector<std::string>> names =
        ListDir(JoinPath(options_.state_dir, "netns"));
    return names.ok() ? *names : std::vector<std::string>{};
  }
  void UseHostResolvConf(const std::string& content) {
    std::string path = JoinPath(base_, "host-resolv.conf");
    ASSERT_TRUE(WriteFile(path, content).ok());
    options_.host_resolv_conf = path;
    executor_ = *RuncExecutor::Create(options_);
  }
};

TEST_F(NetworkTest, PrivateNetworkHasLoopbackAndTap0) {
  // The default for RUN.
  EXPECT_EQ(ProcessSpec().network, NetworkMode::kPrivate);
  EXPECT_EQ(Check("ls /sys/class/net"), "lo\ntap0");
  EXPECT_EQ(Check("cat /sys/class/net/tap0/mtu"), "65520");
  EXPECT_THAT(
      Check("ip -4 addr show tap0; ip -4 addr show lo; ip route"),
      AllOf(HasSubstr("inet 10.0.2.100/24"), HasSubstr("inet 127.0.0.1/8"),
            HasSubstr("default via 10.0.2.2 dev tap0")));
  // Each run gets a namespace of its own, and not the worker's. Two runs
  // compare theirs while both are alive: the kernel may give a new
  // namespace the number of one that has just gone.
  std::string shared = JoinPath(base_, "shared");
  ASSERT_TRUE(MakeDirs(shared).ok());
  auto spec_for = [&](const std::string& mine, const std::string& theirs) {
    ProcessSpec spec;
    spec.args = {"/bin/sh", "-c",
                 "readlink /proc/self/ns/net > /shared/" + mine +
                     "; i=0; while [ ! -s /shared/" + theirs +
                     " ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; "
                     "sleep 0.05; done; cat /shared/" +
                     mine};
    spec.env.push_back("PATH=/bin:/usr/bin:/sbin:/usr/sbin");
    spec.mounts.push_back(
        Mount{Mount::Type::kBind, shared, "/shared", false, {}});
    return spec;
  };
  const std::string second_rootfs = NewRootfs("rootfs2");
  Outcome a, b;
  std::thread other([&] { b = Run(spec_for("b", "a"), second_rootfs); });
  a = Run(spec_for("a", "b"));
  other.join();
  ASSERT_EQ(a.code(), 0) << a.status.status();
  ASSERT_EQ(b.code(), 0) << b.status.status();
  EXPECT_THAT(a.Out(), StartsWith("net:["));
  EXPECT_NE(a.Out(), b.Out());
  char host[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/net", host, sizeof(host) - 1), 0);
  EXPECT_NE(a.Out(), host);

  EXPECT_EQ(Check("ls /sys/class/net", In(NetworkMode::kNone)), "lo");
}

TEST_F(NetworkTest, TheHostsLoopbackIsOutOfReach) {
  HelloServer server("127.0.0.1");
  const std::string port = std::to_string(server.port());
  const std::string host_loopback = "nc -w 3 127.0.0.1 " + port + " </dev/null";
  // Through slirp4netns's gateway alias, which --disable-host-loopback
  // refuses, and on the container's own loopback.
  const std::string gateway =
      absl::StrCat("nc -w 3 ", network::kHostAlias, " ", port, " </dev/null");
  Outcome own_loopback = Sh(host_loopback);
  EXPECT_NE(own_loopback.code(), 0);
  EXPECT_EQ(own_loopback.Out(), "");
  Outcome via_gateway = Sh(gateway);
  EXPECT_NE(via_gateway.code(), 0);
  EXPECT_EQ(via_gateway.Out(), "");
  EXPECT_NE(Sh(host_loopback, In(NetworkMode::kNone)).code(), 0);
  EXPECT_EQ(server.connections(), 0);
  // The host network reaches it: the server works.
  EXPECT_EQ(Check(host_loopback, In(NetworkMode::kHost)), "hello");
  EXPECT_EQ(server.connections(), 1);
}

// Outbound traffic leaves through slirp4netns's sockets on the host: here to
// a service on the host's own non-loopback address, which a container on
// Docker's bridge reaches too (no other host is reachable here).
TEST_F(NetworkTest, OutboundConnectionsGoThroughSlirp4netns) {
  const std::string address = HostAddress();
  if (address.empty()) GTEST_SKIP() << "this host has no non-loopback IPv4";
  HelloServer server("0.0.0.0");
  const std::string connect =
      absl::StrCat("nc -w 3 ", address, " ", server.port(), " </dev/null");
  EXPECT_EQ(Check(connect), "hello");
  EXPECT_NE(Sh(connect, In(NetworkMode::kNone)).code(), 0);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(NetworkTest, ResolvConfPerModeAsDocker) {
  UseHostResolvConf("nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch lan\n");
  EXPECT_EQ(Check("cat /etc/resolv.conf"), "nameserver 10.1.2.3\nsearch lan");
  EXPECT_EQ(Check("cat /etc/resolv.conf", In(NetworkMode::kNone)),
            "nameserver 10.1.2.3\nsearch lan");
  EXPECT_EQ(Check("cat /etc/resolv.conf", In(NetworkMode::kHost)),
            "nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch lan");

  // Only a loopback resolver (systemd-resolved): reached through
  // slirp4netns's forwarder in kPrivate; Docker's fallbacks otherwise.
  UseHostResolvConf("nameserver 127.0.0.53\noptions edns0\n");
  EXPECT_EQ(Check("cat /etc/resolv.conf"),
            "options edns0\nnameserver 10.0.2.3");
  EXPECT_THAT(Check("cat /etc/resolv.conf", In(NetworkMode::kNone)),
              HasSubstr("nameserver 8.8.8.8\nnameserver 8.8.4.4"));
  EXPECT_EQ(Check("cat /etc/hosts"),
            absl::StripSuffix(HostsFileContent(kDefaultHostname), "\n"));
}

// Docker's default capabilities include CAP_NET_RAW: a packet socket works,
// and in kPrivate it sees only the container's own interfaces.
TEST_F(NetworkTest, APacketSocketSeesNoneOfTheHostsTraffic) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  absl::StatusOr<std::string> counter = ReadFile(
      absl::StrCat(srcdir ? srcdir : ".", "/", workspace ? workspace : "farm",
                   "/worker/executor/network/packet_count"));
  ASSERT_TRUE(counter.ok()) << counter.status();
  ASSERT_TRUE(
      WriteFile(JoinPath(rootfs_, "bin/packet-count"), *counter, 0755).ok());

  const std::string marker = "farm-sniff-" + std::to_string(getpid());
  LoopbackChatter chatter(marker);
  const std::string sniff = "packet-count 1.5 " + marker + " | tail -1";
  EXPECT_THAT(Check(sniff), MatchesRegex("packets=[0-9]+ marked=0"));
  // The same program on the host network sees the chatter: it works.
  EXPECT_THAT(Check(sniff, In(NetworkMode::kHost)),
              MatchesRegex("packets=[0-9]+ marked=[1-9][0-9]*"));
}

// After success, failure, a process that cannot start and a cancellation:
// no slirp4netns, no sandbox file, and nothing holds the namespace. While
// the container runs, its namespace is the one this process holds open.
TEST_F(NetworkTest, NothingOutlivesARunOnAnyPath) {
  Outcome ok = Sh("readlink /proc/self/ns/net");
  ASSERT_EQ(ok.code(), 0);
  Outcome failed = Sh("readlink /proc/self/ns/net; exit 3");
  EXPECT_EQ(failed.code(), 3);
  for (const std::string& id : {ok.Out(), failed.Out()}) {
    EXPECT_THAT(id, StartsWith("net:["));
    EXPECT_THAT(NamespaceHolders(id), IsEmpty()) << id;
  }
  EXPECT_THAT(SandboxFiles(), IsEmpty());
  EXPECT_THAT(Slirp4netnsChildren(), IsEmpty());

  ProcessSpec missing;
  missing.args = {"/no/such/program"};
  EXPECT_EQ(Run(missing).status.status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(SandboxFiles(), IsEmpty());
  EXPECT_THAT(Slirp4netnsChildren(), IsEmpty());

  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", "readlink /proc/self/ns/net; sleep 100"};
  spec.env.push_back("PATH=/bin:/usr/bin:/sbin:/usr/sbin");
  Cancellation cancel;
  LineRecorder sink;
  std::string running_id;
  std::thread canceller([&] {
    for (int i = 0; i < 1000 && sink.total_lines() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(SandboxFiles().empty());
    EXPECT_EQ(Slirp4netnsChildren().size(), 1u);
    std::vector<std::string> lines = sink.Texts(Stream::kStdout);
    if (!lines.empty()) running_id = lines[0];
    EXPECT_THAT(NamespaceHolders(running_id),
                Contains(absl::StrCat(getpid(), " holds it open")))
        << running_id;
    cancel.Cancel();
  });
  absl::StatusOr<ExitStatus> cancelled =
      executor_->Run(rootfs_, spec, sink, cancel);
  canceller.join();
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(running_id, StartsWith("net:["));
  EXPECT_THAT(NamespaceHolders(running_id), IsEmpty());
  EXPECT_THAT(SandboxFiles(), IsEmpty());
  EXPECT_THAT(Slirp4netnsChildren(), IsEmpty());
}

TEST_F(NetworkTest, ConcurrentRunsGetNetworksOfTheirOwn) {
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c",
               "readlink /proc/self/ns/net; cat /sys/class/net/tap0/mtu"};
  spec.env.push_back("PATH=/bin:/usr/bin:/sbin:/usr/sbin");
  std::vector<NamespaceKeeper> keepers(4);
  std::vector<absl::StatusOr<ExitStatus>> statuses(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Cancellation cancel;
      statuses[i] = executor_->Run(rootfs_, spec, keepers[i], cancel);
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].status();
    EXPECT_EQ(statuses[i]->code, 0);
    ASSERT_EQ(keepers[i].ids().size(), 1u);
    EXPECT_THAT(keepers[i].lines(), ElementsAre(keepers[i].ids()[0], "65520"));
    ids.push_back(keepers[i].ids()[0]);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

// With spares, as workers run: every run still gets a namespace of its own,
// and when the executor goes nothing of them is left.
TEST_F(NetworkTest, SpareNetworksServeOneRunEachAndGoWithTheExecutor) {
  options_.spare_networks = 1;
  executor_ = *RuncExecutor::Create(options_);
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c",
               "readlink /proc/self/ns/net; cat /sys/class/net/tap0/mtu"};
  spec.env.push_back("PATH=/bin:/usr/bin:/sbin:/usr/sbin");
  NamespaceKeeper keeper;
  for (int i = 0; i < 3; ++i) {
    Cancellation cancel;
    absl::StatusOr<ExitStatus> status =
        executor_->Run(rootfs_, spec, keeper, cancel);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->code, 0);
  }
  EXPECT_EQ(std::count(keeper.lines().begin(), keeper.lines().end(), "65520"),
            3);
  std::vector<std::string> ids = keeper.ids();
  ASSERT_EQ(ids.size(), 3u);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  keeper.Release();
  executor_.reset();
  EXPECT_THAT(SandboxFiles(), IsEmpty());
  EXPECT_THAT(Slirp4netnsChildren(), IsEmpty());
  for (const std::string& id : ids) {
    EXPECT_THAT(NamespaceHolders(id), IsEmpty()) << id;
  }
}

// A worker without slirp4netns is broken for kPrivate only, and says so.
TEST_F(NetworkTest, MissingSlirp4netnsIsUnavailable) {
  options_.slirp4netns = "/nonexistent/slirp4netns";
  executor_ = *RuncExecutor::Create(options_);
  Outcome outcome = Sh("true");
  EXPECT_EQ(outcome.status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(outcome.status.status().message(),
              AllOf(HasSubstr("slirp4netns not found"),
                    HasSubstr("apt-get install slirp4netns")));
  EXPECT_EQ(Sh("true", In(NetworkMode::kNone)).code(), 0);
  EXPECT_EQ(Sh("true", In(NetworkMode::kHost)).code(), 0);
}

}  // namespace
}  // namespace farm::executor
