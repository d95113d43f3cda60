#include "common/etcd/testing/etcd_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/registry/curl_transport.h"

namespace farm::etcd::testing {
namespace {

// A socket bound to 127.0.0.1 on a free port; the caller closes it just
// before the member binds the port.
absl::StatusOr<ScopedFd> BindFreePort(int* port) {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ErrnoStatus(errno, "socket");
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoStatus(errno, "binding 127.0.0.1:0");
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// Whether `pid` has exited; reaps it if so.
bool Exited(pid_t pid) {
  int status;
  return waitpid(pid, &status, WNOHANG) == pid;
}

void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(
    EtcdClusterOptions options) {
  absl::Status last;
  // A port picked free can be taken before etcd binds it; start over then.
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSIGN_OR_RETURN(std::string dir, MakeTempDir("etcd"));
    std::unique_ptr<EtcdCluster> c(new EtcdCluster(options, dir));
    std::vector<ScopedFd> held;
    for (int i = 0; i < options.members; ++i) {
      Member m;
      m.name = absl::StrCat("m", i);
      m.data_dir = JoinPath(dir, m.name);
      m.log_path = JoinPath(dir, m.name + ".log");
      int client_port = 0, peer_port = 0;
      ASSIGN_OR_RETURN(ScopedFd a, BindFreePort(&client_port));
      ASSIGN_OR_RETURN(ScopedFd b, BindFreePort(&peer_port));
      held.push_back(std::move(a));
      held.push_back(std::move(b));
      m.client_url = absl::StrCat("http://127.0.0.1:", client_port);
      m.peer_url = absl::StrCat("http://127.0.0.1:", peer_port);
      c->members_.push_back(std::move(m));
    }
    held.clear();
    last = absl::OkStatus();
    for (int i = 0; i < c->size() && last.ok(); ++i) last = c->Spawn(i);
    for (int i = 0; i < c->size() && last.ok(); ++i) {
      last = c->AwaitHealthy(i, options.start_timeout);
    }
    if (last.ok()) return c;
    last = Annotate(last, c->Logs());
  }
  return last;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) Kill(i);
  RemoveAll(dir_).IgnoreError();
}

std::vector<std::string> EtcdCluster::client_urls() const {
  std::vector<std::string> urls;
  for (const Member& m : members_) urls.push_back(m.client_url);
  return urls;
}

std::string EtcdCluster::InitialCluster() const {
  std::vector<std::string> parts;
  for (const Member& m : members_) {
    parts.push_back(absl::StrCat(m.name, "=", m.peer_url));
  }
  return absl::StrJoin(parts, ",");
}

absl::Status EtcdCluster::Spawn(int i) {
  Member& m = members_[i];
  std::vector<std::string> args = {
      options_.binary,
      "--name=" + m.name,
      "--data-dir=" + m.data_dir,
      "--listen-client-urls=" + m.client_url,
      "--advertise-client-urls=" + m.client_url,
      "--listen-peer-urls=" + m.peer_url,
      "--initial-advertise-peer-urls=" + m.peer_url,
      "--initial-cluster=" + InitialCluster(),
      "--initial-cluster-state=new",
      "--initial-cluster-token=farm-test",
      absl::StrCat("--heartbeat-interval=", options_.heartbeat_ms),
      absl::StrCat("--election-timeout=", options_.election_ms),
      "--logger=zap",
      "--log-outputs=stderr",
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ScopedFd log(open(m.log_path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) return ErrnoStatus(errno, m.log_path);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    // Only async-signal-safe calls until exec. The member dies with the
    // thread that started it, even if the test crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(null_fd, 0);
    dup2(log.get(), 1);
    dup2(log.get(), 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  m.pid = pid;
  return absl::OkStatus();
}

absl::Status EtcdCluster::AwaitHealthy(int i, absl::Duration timeout) {
  image::registry::CurlTransportOptions topts;
  topts.connect_timeout = absl::Seconds(1);
  topts.stall_timeout = absl::Seconds(2);
  image::registry::CurlTransport transport(topts);
  image::registry::HttpRequest req;
  req.url = members_[i].client_url + "/health";
  absl::Time give_up = absl::Now() + timeout;
  std::string last = "no answer";
  while (absl::Now() < give_up) {
    if (members_[i].pid <= 0 || Exited(members_[i].pid)) {
      members_[i].pid = -1;
      return absl::UnavailableError(
          absl::StrCat("etcd member ", members_[i].name, " exited"));
    }
    absl::StatusOr<image::registry::HttpResponse> r =
        transport.Send(req, nullptr);
    if (r.ok() && absl::StrContains(r->body, "\"health\":\"true\"")) {
      return absl::OkStatus();
    }
    last = r.ok() ? r->body : std::string(r.status().message());
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::UnavailableError(
      absl::StrCat("etcd member ", members_[i].name, " not healthy: ", last));
}

void EtcdCluster::Kill(int i) {
  if (members_[i].pid > 0) KillAndReap(members_[i].pid);
  members_[i].pid = -1;
}

absl::Status EtcdCluster::Restart(int i) {
  Kill(i);
  RETURN_IF_ERROR(Spawn(i));
  return AwaitHealthy(i, options_.start_timeout);
}

std::string EtcdCluster::Log(int i) const {
  return ReadFile(members_[i].log_path).value_or("");
}

std::string EtcdCluster::Logs() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    std::string log = Log(i);
    if (log.size() > 2000) log = log.substr(log.size() - 2000);
    absl::StrAppend(&out, "\n--- ", members_[i].name, " ---\n", log);
  }
  return out;
}

}  // namespace farm::etcd::testing
