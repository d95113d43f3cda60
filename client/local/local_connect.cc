#include "client/local/local_connect.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cache/service/grpc_server.h"
#include "client/local/local_paths.h"
#include "common/fs.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/unix_socket_path.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/container.grpc.pb.h"

namespace farm::client::local {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(60);

// Socket names stay valid while the process lives: a long one goes through
// an open descriptor of its directory (common/unix_socket_path.h).
absl::StatusOr<std::string> ChannelTarget(const std::string& socket) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* paths = new std::map<std::string, UnixSocketPath>;
  absl::MutexLock lock(&mu);
  auto it = paths->find(socket);
  if (it == paths->end()) {
    ASSIGN_OR_RETURN(UnixSocketPath path, UnixSocketPath::For(socket));
    it = paths->emplace(socket, std::move(path)).first;
  }
  return absl::StrCat("unix:", it->second.address());
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(cache::kMaxMessageBytes);
  args.SetMaxSendMessageSize(cache::kMaxMessageBytes);
  // A server that just started answers at once; do not back off from it.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  // Every channel its own connection: a probe's failure must not linger.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

std::optional<proto::LocalServerInfo> Probe(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = proto::LocalServer::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  proto::LocalServerInfo info;
  if (!stub->Info(&context, {}, &info).ok()) return std::nullopt;
  return info;
}

std::optional<RunningServer> Find(const std::string& root) {
  const std::string socket = SocketPath(root);
  if (!PathExists(socket)) return std::nullopt;
  absl::StatusOr<std::string> target = ChannelTarget(socket);
  if (!target.ok()) return std::nullopt;
  std::shared_ptr<grpc::Channel> channel = NewChannel(*target);
  std::optional<proto::LocalServerInfo> info = Probe(channel);
  if (!info) return std::nullopt;
  return RunningServer{std::move(channel), *std::move(info)};
}

// The fd number the server gets its readiness pipe under.
constexpr int kReadyFd = 3;

// Starts `farm --root ROOT serve-local` in a session of its own (a
// terminal's Ctrl-C does not reach it), its output in the server log.
// Returns its pid and the read end of a pipe that gets a byte once the
// server answers, or end-of-file if it exits first.
absl::StatusOr<std::pair<pid_t, ScopedFd>> SpawnServer(
    const std::string& root) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return ErrnoStatus(errno, "/proc/self/exe");
  exe[n] = '\0';
  ScopedFd log(open(ServerLogPath(root).c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log.get() < 0) return ErrnoStatus(errno, ServerLogPath(root));
  int pid_pipe[2], ready[2];
  if (pipe2(pid_pipe, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "pipe");
  }
  const std::string ready_arg = absl::StrCat(kReadyFd);
  pid_t child = fork();
  if (child < 0) return ErrnoStatus(errno, "fork");
  if (child == 0) {
    // The middle process: a new session, then the server as its child, so
    // that the server is no child of this command.
    setsid();
    pid_t server = fork();
    if (server == 0) {
      int null = open("/dev/null", O_RDONLY);
      dup2(null, STDIN_FILENO);
      dup2(log.get(), STDOUT_FILENO);
      dup2(log.get(), STDERR_FILENO);
      if (ready[1] == kReadyFd) {
        fcntl(kReadyFd, F_SETFD, 0);
      } else {
        dup2(ready[1], kReadyFd);
      }
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execl(exe, exe, "--root", root.c_str(), "serve-local", "--ready-fd",
            ready_arg.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    (void)!write(pid_pipe[1], &server, sizeof(server));
    _exit(server > 0 ? 0 : 1);
  }
  close(pid_pipe[1]);
  close(ready[1]);
  ScopedFd ready_read(ready[0]);
  pid_t server = -1;
  ssize_t got = read(pid_pipe[0], &server, sizeof(server));
  close(pid_pipe[0]);
  waitpid(child, nullptr, 0);
  if (got != sizeof(server) || server <= 0) {
    return absl::UnavailableError("could not start the local farm server");
  }
  return std::make_pair(server, std::move(ready_read));
}

std::string LogTail(const std::string& root) {
  absl::StatusOr<std::string> log = ReadFile(ServerLogPath(root));
  if (!log.ok() || log->empty()) return "";
  std::string tail =
      log->size() > 1500 ? log->substr(log->size() - 1500) : *log;
  return absl::StrCat(": ", tail);
}

// Asks a server with other settings to exit once idle, and waits for it.
absl::Status Replace(RunningServer server, const std::string& root) {
  {
    auto stub = proto::LocalServer::NewStub(server.channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    proto::StopLocalServerRequest request;
    request.set_when_idle(true);
    proto::StopLocalServerResponse response;
    RETURN_IF_ERROR(FromGrpcStatus(stub->Stop(&context, request, &response)));
  }
  // The server's shutdown waits for open connections: close this one.
  server.channel.reset();
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (ProcessAlive(server.info.pid())) {
    if (absl::Now() > deadline) {
      return absl::UnavailableError(absl::StrCat(
          "the local farm server of ", root, " (pid ", server.info.pid(),
          ") runs with other settings and is busy; it is replaced once its "
          "builds and containers end (or: farm server stop)"));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<RunningServer> FindLocalServer(const std::string& root) {
  absl::StatusOr<std::string> absolute = AbsolutePath(root);
  if (!absolute.ok()) return std::nullopt;
  return Find(*absolute);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectLocalServer(
    const std::string& given_root) {
  ASSIGN_OR_RETURN(const std::string root, AbsolutePath(given_root));
  const std::string settings = ServerSettings();
  if (std::optional<RunningServer> server = Find(root)) {
    if (server->info.settings() == settings) return server->channel;
  }
  RETURN_IF_ERROR(MakeDirs(RunDir(root), 0700));
  chmod(RunDir(root).c_str(), 0700);
  // One starter at a time; the others find its server when they get in.
  ScopedFd lock(
      open(StartLockPath(root).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0) return ErrnoStatus(errno, StartLockPath(root));
  if (flock(lock.get(), LOCK_EX) != 0) return ErrnoStatus(errno, "flock");
  if (std::optional<RunningServer> server = Find(root)) {
    if (server->info.settings() == settings) return server->channel;
    RETURN_IF_ERROR(Replace(*std::move(server), root));
  }
  ASSIGN_OR_RETURN(auto spawned, SpawnServer(root));
  auto& [pid, ready] = spawned;
  pollfd wait = {ready.get(), POLLIN, 0};
  int polled;
  do {
    polled = poll(&wait, 1, absl::ToInt64Milliseconds(kStartTimeout));
  } while (polled < 0 && errno == EINTR);
  char byte = 0;
  if (polled == 0) {
    return absl::UnavailableError(
        absl::StrCat("the local farm server of ", root, " (pid ", pid,
                     ") did not answer in ",
                     absl::FormatDuration(kStartTimeout), LogTail(root)));
  }
  if (read(ready.get(), &byte, 1) != 1) {
    return absl::UnavailableError(absl::StrCat("the local farm server of ",
                                               root, " exited", LogTail(root)));
  }
  ASSIGN_OR_RETURN(std::string target, ChannelTarget(SocketPath(root)));
  return NewChannel(target);
}

}  // namespace farm::client::local
