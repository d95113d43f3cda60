#include "client/local/local_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/local/container_manager.h"
#include "client/local/container_service.h"
#include "client/local/idle_watch.h"
#include "client/local/local_paths.h"
#include "common/fs.h"
#include "common/unix_socket_path.h"
#include "proto/container.grpc.pb.h"
#include "worker/executor/leftovers.h"

namespace farm::client::local {
namespace {

// After this long without a call, the build worker stops (its spare RUN
// network, a mount and a slirp4netns, with it); the next build starts one.
constexpr absl::Duration kWorkerIdle = absl::Seconds(2);

std::atomic<bool> signalled{false};
void OnStopSignal(int) { signalled.store(true); }

// Info and Stop, for clients deciding whether to use this server.
class LocalServerService final : public proto::LocalServer::Service {
 public:
  LocalServerService(const IdleWatch* watch, const ContainerManager* manager,
                     std::string settings)
      : watch_(watch), manager_(manager), settings_(std::move(settings)) {}

  grpc::Status Info(grpc::ServerContext*, const proto::LocalServerInfoRequest*,
                    proto::LocalServerInfo* response) override {
    response->set_pid(getpid());
    response->set_settings(settings_);
    response->set_calls_in_flight(watch_->calls());  // this one is not counted
    response->set_containers_running(manager_->running());
    return grpc::Status::OK;
  }
  grpc::Status Stop(grpc::ServerContext*,
                    const proto::StopLocalServerRequest* request,
                    proto::StopLocalServerResponse*) override {
    absl::MutexLock lock(&mu_);
    stop_ = request->when_idle() ? kWhenIdle : kNow;
    return grpc::Status::OK;
  }

  enum Request { kNone, kWhenIdle, kNow };
  Request stop_requested() {
    absl::MutexLock lock(&mu_);
    return stop_;
  }

 private:
  const IdleWatch* watch_;
  const ContainerManager* manager_;
  const std::string settings_;
  absl::Mutex mu_;
  Request stop_ ABSL_GUARDED_BY(mu_) = kNone;
};

// The socket's identity, to notice it removed or replaced.
ino_t InodeOf(const std::string& path) {
  struct stat info = {};
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

// A server that was killed (its pid file is still there) left its build
// steps running and their mounts. The worker removes them when it starts,
// but it starts with the first job that needs it: do it now, so nothing of
// the dead server outlives it.
void CleanAfterCrash(const std::string& root) {
  const std::string worker = JoinPath(root, "worker");
  if (!IsDirectory(worker)) return;
  executor::LeftoverScope scope;
  scope.runc_root = JoinPath(worker, "executor/runc");
  absl::StatusOr<std::string> cgroup = executor::CgroupParentForRoot(worker);
  if (cgroup.ok()) scope.cgroup_parent = *cgroup;
  scope.mount_root = worker;
  absl::Status cleaned = executor::CleanLeftovers(scope);
  std::cerr << "a previous server of " << root << " did not exit cleanly; "
            << (cleaned.ok()
                    ? "removed what its builds left"
                    : absl::StrCat("cleaning up: ", cleaned.ToString()))
            << "\n";
}

}  // namespace

absl::Duration IdleTimeoutFromEnvironment() {
  int seconds = 0;
  const char* value = getenv("FARM_SERVER_IDLE_SECONDS");
  if (value != nullptr && absl::SimpleAtoi(value, &seconds) && seconds >= 0) {
    return absl::Seconds(seconds);
  }
  return absl::Minutes(5);
}

int ServeLocal(const LocalServerOptions& options) {
  // Helpers started before it is written must not hold the pipe open.
  if (options.ready_fd >= 0) fcntl(options.ready_fd, F_SETFD, FD_CLOEXEC);
  absl::StatusOr<std::string> root = AbsolutePath(options.root);
  if (!root.ok()) {
    std::cerr << "serve-local: " << root.status() << "\n";
    return 1;
  }
  const std::string socket = SocketPath(*root);
  absl::StatusOr<UnixSocketPath> address = UnixSocketPath::For(socket);
  if (!address.ok()) {
    std::cerr << "serve-local: " << address.status() << "\n";
    return 1;
  }
  // A stale socket of a server that died; the starter holds the start lock.
  unlink(socket.c_str());
  if (PathExists(PidPath(*root))) CleanAfterCrash(*root);

  IdleWatch watch(absl::Now());
  std::unique_ptr<ContainerManager> manager;
  LocalServerService* control = nullptr;  // owned by the farm
  absl::Status manager_status;
  EmbeddedServing serving;
  serving.listen_address = absl::StrCat("unix:", address->address());
  serving.interceptors.push_back(CallCounter(&watch));
  // The image service is made before the manager; it asks through this.
  auto manager_slot = std::make_shared<std::atomic<ContainerManager*>>(nullptr);
  serving.image_in_use = [manager_slot](const std::string& image_id) {
    ContainerManager* containers = manager_slot->load();
    return containers ? containers->table().UserOfImage(image_id)
                      : std::string();
  };
  serving.services = [&](scheduler::FarmNode& node) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    ContainerManager::Options manager_options;
    manager_options.root = *root;
    manager_options.blobs = node.blobs();
    absl::StatusOr<std::unique_ptr<ContainerManager>> made =
        ContainerManager::Create(manager_options);
    if (!made.ok()) {
      manager_status = made.status();
      return services;
    }
    manager = *std::move(made);
    manager_slot->store(manager.get());
    services.push_back(std::make_unique<ContainerService>(manager.get()));
    auto control_service = std::make_unique<LocalServerService>(
        &watch, manager.get(), ServerSettings());
    control = control_service.get();
    services.push_back(std::move(control_service));
    return services;
  };
  absl::StatusOr<std::unique_ptr<EmbeddedFarm>> farm =
      EmbeddedFarm::Start(*root, options.start_worker, std::move(serving));
  if (!farm.ok() || !manager_status.ok()) {
    std::cerr << "serve-local: " << (farm.ok() ? manager_status : farm.status())
              << "\n";
    return 1;
  }
  chmod(socket.c_str(), 0600);
  const ino_t inode = InodeOf(socket);
  WriteFileAtomic(PidPath(*root), absl::StrCat(getpid(), "\n"), 0600)
      .IgnoreError();
  if (options.ready_fd >= 0) {
    (void)!write(options.ready_fd, "r", 1);
    close(options.ready_fd);
  }
  std::cerr << "farm server " << getpid() << " serving " << *root << " on "
            << socket << "\n";

  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  std::string why;
  while (why.empty()) {
    absl::SleepFor(absl::Milliseconds(200));
    const absl::Time now = absl::Now();
    const bool busy = manager->running() > 0;
    LocalServerService::Request stop = control->stop_requested();
    if (signalled.load()) {
      why = "signalled";
    } else if (InodeOf(socket) != inode) {
      // The root was deleted (or tampered with): nothing here is worth
      // saving, and closing the stores cleanly would write their last
      // files into whatever is made at that path next. Take the worker's
      // mounts down and go.
      std::cerr << "farm server " << getpid()
                << " exiting: its socket was removed or replaced\n";
      (*farm)->StopIdleWorker();
      _exit(0);
    } else if (stop == LocalServerService::kNow) {
      why = "asked to stop";
    } else if (stop == LocalServerService::kWhenIdle &&
               watch.Idle(now, busy, absl::ZeroDuration())) {
      why = "asked to stop once idle";
    } else if (watch.Idle(now, busy, options.idle_timeout)) {
      why = "idle";
    } else if (watch.Idle(now, busy, kWorkerIdle)) {
      (*farm)->StopIdleWorker();
    }
  }
  std::cerr << "farm server " << getpid() << " exiting: " << why << "\n";
  if (InodeOf(socket) == inode) {
    unlink(socket.c_str());
    unlink(PidPath(*root).c_str());
  }
  (*farm)->Stop();
  manager_slot->store(nullptr);
  manager.reset();  // kills what still runs (a signal, or Stop now)
  farm->reset();
  return 0;
}

}  // namespace farm::client::local
