#include "worker/executor/runc_executor.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "nlohmann/json.hpp"
#include "worker/executor/bundle.h"
#include "worker/executor/cgroup_limits.h"
#include "worker/executor/limits_watch.h"
#include "worker/executor/mount_stubs.h"
#include "worker/executor/network/network_sandbox.h"
#include "worker/executor/network/sandbox_pool.h"
#include "worker/executor/oci_spec.h"
#include "worker/executor/rooted_path.h"
#include "worker/executor/seccomp_profile.h"
#include "worker/executor/user.h"

namespace farm::executor {
namespace {

// How long output may still arrive after runc exited (the pipes close when
// the last process in the container's pid namespace is gone).
constexpr int64_t kDrainMillis = 2000;
// How often `runc kill` is repeated while a cancelled container lingers
// (the first try can precede the container's creation).
constexpr int64_t kKillRetryMillis = 200;

int64_t MonotonicMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::string> NewContainerId() {
  unsigned char bytes[8];
  if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
    return ErrnoStatus(errno, "getrandom");
  }
  std::string id = "farm-";
  for (unsigned char byte : bytes) {
    absl::StrAppend(&id, absl::Hex(byte, absl::kZeroPad2));
  }
  return id;
}

// BuildKit's insecure mode exposes loop devices up to the first free one + 7.
int FirstFreeLoopDevice() {
  ScopedFd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (control.get() < 0) return 0;
  int free_loop = ioctl(control.get(), LOOP_CTL_GET_FREE);
  return free_loop < 0 ? 0 : free_loop;
}

// Bit N set when this process holds capability N in its bounding set.
uint64_t HeldCapabilities() {
  uint64_t held = 0;
  for (int cap = 0; cap < 64; ++cap) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) held |= uint64_t{1} << cap;
  }
  return held;
}

// kOpenFilesLimit, or as high as this process may raise its hard limit.
uint64_t OpenFilesLimit(uint64_t held_capabilities) {
  constexpr int kSysResource = 24;
  struct rlimit limit;
  if ((held_capabilities >> kSysResource & 1) != 0 ||
      getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
      limit.rlim_max == RLIM_INFINITY) {
    return kOpenFilesLimit;
  }
  return std::min<uint64_t>(kOpenFilesLimit, limit.rlim_max);
}

// Docker's default seccomp profile for what a sandboxed run gets here: the
// capabilities its spec carries, this host's architecture and kernel.
absl::StatusOr<nlohmann::json> SandboxSeccomp() {
  struct utsname host;
  if (uname(&host) != 0) return ErrnoStatus(errno, "uname");
  absl::StatusOr<nlohmann::json> seccomp = DockerDefaultSeccomp(
      GrantedCapabilities(SecurityMode::kSandbox, HeldCapabilities()),
      host.machine, host.release);
  if (!seccomp.ok()) return Annotate(seccomp.status(), "RUN sandbox");
  return seccomp;
}

// The messages runc logged at level "error", joined; "" when there are none.
std::string RuncErrors(const std::string& log_path) {
  absl::StatusOr<std::string> log = ReadFile(log_path);
  if (!log.ok()) return "";
  std::string errors;
  for (absl::string_view line : absl::StrSplit(*log, '\n', absl::SkipEmpty())) {
    nlohmann::json entry =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object() || entry.value("level", "") != "error") continue;
    if (!errors.empty()) errors += "; ";
    errors += entry.value("msg", "");
  }
  return errors;
}

// Reads what `fd` has for `splitter`, at most 256 KiB so that a flood of
// output cannot starve the poll loop; false once the pipe is at its end.
bool Pump(int fd, LineSplitter& splitter) {
  char buf[16384];
  for (int i = 0; i < 16; ++i) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      splitter.Append(absl::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
  return true;
}

// Stops a container that is to die (cancelled, or past a limit): `runc kill
// ID KILL` every kKillRetryMillis, since the first may come before runc has
// created the container, and SIGKILL to runc itself after the grace.
class ContainerStopper {
 public:
  bool active() const { return started_at_ >= 0; }
  void Start(int64_t now) {
    if (!active()) started_at_ = next_kill_ = now;
  }
  // Does what is due at `now`.
  void Tick(int64_t now, const std::vector<std::string>& kill_argv,
            int64_t grace_millis, Subprocess& runc) {
    if (now >= next_kill_) {
      RunCommand(kill_argv, absl::Seconds(5)).IgnoreError();
      next_kill_ = MonotonicMillis() + kKillRetryMillis;
    }
    if (!runc_killed_ && now - started_at_ >= grace_millis) {
      runc.Kill(SIGKILL);
      runc_killed_ = true;
    }
  }

 private:
  int64_t started_at_ = -1;
  int64_t next_kill_ = 0;
  bool runc_killed_ = false;
};

// poll(2)'s timeout for `wait`: rounded up, -1 for forever.
int PollMillis(absl::Duration wait) {
  if (wait >= absl::Hours(1)) return -1;
  int64_t millis = absl::ToInt64Milliseconds(wait);
  if (absl::Milliseconds(millis) < wait) ++millis;
  return static_cast<int>(millis);
}

// What the limits watch reads for a run: its cgroup's counters (when it
// has a cgroup of its own) and the size of its writable dir.
LimitsWatch::Probes WatchProbes(CgroupLimits* cgroup,
                                const std::string& writable_dir) {
  LimitsWatch::Probes probes;
  if (cgroup != nullptr) {
    probes.oom_killed = [cgroup] { return cgroup->OomKilled(); };
    probes.pids_refused = [cgroup] { return cgroup->PidsRefused(); };
    probes.pids_peak = [cgroup] { return cgroup->PidsPeak(); };
  }
  if (!writable_dir.empty()) {
    probes.disk_bytes = [writable_dir] { return DiskBytesUnder(writable_dir); };
  }
  return probes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RuncExecutor>> RuncExecutor::Create(
    Options options) {
  if (options.state_dir.empty() || options.state_dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "executor state dir must be absolute: \"", options.state_dir, "\""));
  }
  CgroupMounts cgroup_mounts;
  if (!options.cgroup_parent.empty()) {
    if (options.cgroup_parent[0] != '/' || options.cgroup_parent == "/") {
      return absl::InvalidArgumentError(
          absl::StrCat("cgroup parent must be absolute and not the root: \"",
                       options.cgroup_parent, "\""));
    }
    ASSIGN_OR_RETURN(cgroup_mounts, FindCgroupMounts());
  }
  RETURN_IF_ERROR(MakeDirs(JoinPath(options.state_dir, "runc"), 0700));
  RETURN_IF_ERROR(MakeDirs(JoinPath(options.state_dir, "bundles"), 0700));
  // Network namespaces a crashed executor left; live ones stay.
  absl::Status stale = network::NetworkSandbox::RemoveStale(
      JoinPath(options.state_dir, "netns"));
  if (!stale.ok()) {
    FARM_LOG(WARNING) << "leftover network sandboxes: " << stale;
  }
  ASSIGN_OR_RETURN(nlohmann::json seccomp, SandboxSeccomp());
  auto executor =
      std::unique_ptr<RuncExecutor>(new RuncExecutor(std::move(options)));
  executor->seccomp_ = std::move(seccomp);
  network::NetworkSandbox::Options network_options;
  network_options.dir = JoinPath(executor->options_.state_dir, "netns");
  network_options.slirp4netns.binary = executor->options_.slirp4netns;
  executor->networks_ = std::make_unique<network::SandboxPool>(
      network_options, executor->options_.spare_networks);
  executor->cgroup_mounts_ = std::move(cgroup_mounts);
  return executor;
}

std::string RuncExecutor::runc_root() const {
  return JoinPath(options_.state_dir, "runc");
}

absl::StatusOr<ExitStatus> RuncExecutor::Run(const std::string& rootfs,
                                             const ProcessSpec& spec,
                                             OutputSink& output,
                                             const Cancellation& cancel) {
  RETURN_IF_ERROR(ValidateProcessSpec(spec));
  if (rootfs.empty() || rootfs[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs must be absolute: \"", rootfs, "\""));
  }
  if (!IsDirectory(rootfs)) {
    return absl::FailedPreconditionError(
        absl::StrCat("rootfs ", rootfs, " is not a directory"));
  }
  if (cancel.IsCancelled()) {
    return absl::CancelledError("cancelled before start");
  }
  const ResourceLimits& limits = spec.limits;
  if (options_.cgroup_parent.empty() &&
      (limits.memory_bytes > 0 || limits.pids > 0 || limits.cpus > 0)) {
    return absl::InvalidArgumentError(
        "memory, pids and CPU limits need the executor's cgroup_parent");
  }

  ASSIGN_OR_RETURN(ResolvedUser user, ResolveUser(rootfs, spec.user));
  RETURN_IF_ERROR(Annotate(MkdirAllInRoot(rootfs, spec.cwd),
                           absl::StrCat("working directory ", spec.cwd)));
  BundleRequest request;
  absl::StatusOr<std::string> host_resolv = ReadFile(options_.host_resolv_conf);
  if (!host_resolv.ok() && !absl::IsNotFound(host_resolv.status())) {
    return host_resolv.status();
  }
  request.host_resolv_conf = host_resolv.value_or("");

  std::string id = spec.container_id;
  if (id.empty()) {
    ASSIGN_OR_RETURN(id, NewContainerId());
  }
  request.dir = JoinPath(JoinPath(options_.state_dir, "bundles"), id);
  if (PathExists(request.dir)) {
    return absl::AlreadyExistsError(
        absl::StrCat("container ", id, " exists already"));
  }
  RETURN_IF_ERROR(MakeDirs(request.dir, 0700));
  absl::Cleanup remove_bundle = [&] {
    absl::Status status = RemoveAll(request.dir);
    if (!status.ok()) {
      FARM_LOG(WARNING) << "removing bundle: " << status;
    }
  };
  request.spec = &spec;
  request.inputs.rootfs = rootfs;
  request.inputs.user = user;
  request.inputs.held_capabilities = HeldCapabilities();
  request.inputs.open_files_limit =
      OpenFilesLimit(request.inputs.held_capabilities);
  if (spec.security == SecurityMode::kInsecure) {
    request.inputs.first_free_loop = FirstFreeLoopDevice();
  } else if (!seccomp_.is_null()) {
    request.inputs.seccomp = &seccomp_;  // unless spec.seccomp is false
  }
  // Torn down when Run returns, after `runc delete`.
  std::unique_ptr<network::NetworkSandbox> private_network;
  if (spec.network == NetworkMode::kPrivate) {
    ASSIGN_OR_RETURN(private_network, networks_->Take());
    request.inputs.network_namespace = private_network->namespace_path();
    for (const PublishedPort& port : spec.published_ports) {
      absl::Status published = private_network->Publish(
          {port.protocol, port.host_ip, port.host_port, port.container_port});
      if (!published.ok()) {
        networks_->Release(std::move(private_network));
        return published;
      }
    }
  }
  // Removed after `runc delete`, below.
  std::unique_ptr<CgroupLimits> cgroup;
  if (!options_.cgroup_parent.empty()) {
    ASSIGN_OR_RETURN(
        cgroup,
        CgroupLimits::Create(
            cgroup_mounts_, JoinPath(options_.cgroup_parent, id), spec.limits));
    request.inputs.cgroups_path = cgroup->runc_path();
  }
  ASSIGN_OR_RETURN(std::vector<MountStubs::Target> targets,
                   WriteBundle(request));
  if (!options_.remove_system_stubs) {
    for (MountStubs::Target& target : targets) {
      if (target.path == "/proc" || target.path == "/dev" ||
          target.path == "/sys") {
        target.manage = false;
      }
    }
  }

  ASSIGN_OR_RETURN(MountStubs stubs, MountStubs::Create(rootfs, targets));
  absl::StatusOr<ExitStatus> result =
      RunContainer(id, request.dir, spec, cgroup.get(), output, cancel);
  // The network goes down now; its files are removed in the background.
  networks_->Release(std::move(private_network));
  // Stubs can only go once nothing is mounted on them any more.
  absl::Status deleted = Delete(id);
  absl::Status removed = stubs.Remove();
  if (removed.ok() && cgroup != nullptr) removed = cgroup->Remove();
  for (const absl::Status& status : {deleted, removed}) {
    if (!status.ok()) {
      FARM_LOG(ERROR) << "cleaning up container " << id << ": " << status;
    }
  }
  if (!result.ok()) return result;
  RETURN_IF_ERROR(deleted);
  RETURN_IF_ERROR(removed);
  return result;
}

absl::StatusOr<ExitStatus> RuncExecutor::RunContainer(
    const std::string& id, const std::string& bundle, const ProcessSpec& spec,
    CgroupLimits* cgroup, OutputSink& output, const Cancellation& cancel) {
  const std::string log_path = JoinPath(bundle, "runc.log");
  std::vector<std::string> argv = {
      options_.runc, "--root", runc_root(), "--log", log_path, "--log-format",
      "json",        "run",    "--bundle",  bundle,  id};
  Subprocess::Stdio stdio;
  std::optional<Pipe> pipes[2];
  if (spec.attach_stdio) {
    stdio = Subprocess::Stdio{spec.attach_stdin ? STDIN_FILENO : -1,
                              STDOUT_FILENO, STDERR_FILENO};
  } else {
    for (auto& pipe : pipes) {
      ASSIGN_OR_RETURN(pipe, MakePipe());
      fcntl(pipe->read.get(), F_SETFL, O_NONBLOCK);
    }
    stdio.out = pipes[0]->write.get();
    stdio.err = pipes[1]->write.get();
  }
  absl::StatusOr<Subprocess> child = Subprocess::Spawn(argv, stdio);
  if (!child.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot run runc: ", child.status().message()));
  }
  int read_fds[2] = {-1, -1};
  for (int i = 0; i < 2; ++i) {
    if (!pipes[i]) continue;
    pipes[i]->write = ScopedFd();  // only runc holds the write ends now
    read_fds[i] = pipes[i]->read.get();
  }
  LineSplitter splitters[2] = {LineSplitter(Stream::kStdout, output),
                               LineSplitter(Stream::kStderr, output)};

  LimitsWatch watch(spec.limits, WatchProbes(cgroup, spec.writable_dir),
                    options_.clock);
  ContainerStopper stopper;
  const std::vector<std::string> kill_argv = {
      options_.runc, "--root", runc_root(), "kill", id, "KILL"};
  const int64_t grace = absl::ToInt64Milliseconds(options_.kill_grace);
  bool exited = false;
  bool cancelling = false;
  std::string killed_by;  // the limit the container is being killed for
  int64_t drain_until = 0;
  while (!(exited && read_fds[0] < 0 && read_fds[1] < 0)) {
    int64_t now = MonotonicMillis();
    if (exited && now >= drain_until) break;
    if (!exited) {
      cancelling = cancelling || cancel.IsCancelled();
      if (!cancelling && killed_by.empty()) killed_by = watch.Check();
      if (cancelling || !killed_by.empty()) {
        stopper.Start(now);
        stopper.Tick(now, kill_argv, grace, *child);
      }
    }
    pollfd fds[4] = {{exited ? -1 : child->pidfd(), POLLIN, 0},
                     {read_fds[0], POLLIN, 0},
                     {read_fds[1], POLLIN, 0},
                     {cancelling ? -1 : cancel.fd(), POLLIN, 0}};
    int timeout = -1;
    if (exited) {
      timeout = static_cast<int>(drain_until - now);
    } else if (stopper.active()) {
      timeout = static_cast<int>(kKillRetryMillis);
    } else {
      timeout = PollMillis(watch.UntilNextCheck());
      // No eventfd: look at the flag now and then.
      if (cancel.fd() < 0 && (timeout < 0 || timeout > 50)) timeout = 50;
    }
    if (poll(fds, 4, timeout) < 0 && errno != EINTR) {
      return ErrnoStatus(errno, "poll");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents != 0 && !Pump(read_fds[i], splitters[i])) {
        read_fds[i] = -1;
      }
    }
    if (fds[0].revents != 0 && !exited) {
      exited = true;
      drain_until = MonotonicMillis() + kDrainMillis;
    }
  }
  for (LineSplitter& splitter : splitters) splitter.Flush();
  ASSIGN_OR_RETURN(int code, child->Wait());

  if (cancelling) {
    return absl::CancelledError(absl::StrCat("container ", id, " cancelled"));
  }
  if (killed_by.empty()) killed_by = watch.AfterExit(code);
  if (!killed_by.empty()) {
    FARM_LOG(INFO) << "container " << id << " was killed: " << killed_by;
    return ExitStatus{code, killed_by};
  }
  if (code != 0) {
    std::string errors = RuncErrors(log_path);
    if (absl::StrContains(errors, "unable to start container process")) {
      return absl::FailedPreconditionError(errors);
    }
    if (!errors.empty()) return absl::InternalError(errors);
  }
  return ExitStatus{code};
}

absl::Status RuncExecutor::Delete(const std::string& id) {
  ASSIGN_OR_RETURN(CommandResult result,
                   RunCommand({options_.runc, "--root", runc_root(), "delete",
                               "--force", id}));
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("runc delete ", id, ": ", result.output));
  }
  return absl::OkStatus();
}

}  // namespace farm::executor
