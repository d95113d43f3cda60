// Executor: runs one process in a container over a prepared rootfs. The stage
// runner calls it for every RUN instruction and `farm run` for a built image;
// RuncExecutor does the real work and FakeExecutor stands in for unit tests.
#ifndef FARM_WORKER_EXECUTOR_EXECUTOR_H_
#define FARM_WORKER_EXECUTOR_EXECUTOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/executor/cancellation.h"
#include "worker/executor/output.h"

namespace farm::executor {

// BuildKit's hostname for build containers; RUN steps that record
// `hostname` give Docker's bytes.
inline constexpr char kDefaultHostname[] = "buildkitsandbox";

enum class NetworkMode {
  // A network namespace of its own (lo and tap0) with outbound access
  // through a user-mode network stack (slirp4netns), the host's loopback
  // and traffic out of reach, and DNS from the host's resolv.conf: RUN's
  // default, as Docker's bridge network. See docs/executor.md.
  kPrivate,
  kHost,  // share the worker's network (RUN --network=host, entitled)
  kNone,  // a private network namespace holding only lo
};

// What one process may use; zero means no limit. A process that reaches a
// limit is killed, and ExitStatus::killed_by says which limit. Reached
// means: the OOM killer acted for the container (memory); a fork was
// refused (pids); the time ran out (timeout); the writable dir grew past
// the budget (disk). CPUs only throttle. See docs/executor.md.
struct ResourceLimits {
  uint64_t memory_bytes = 0;  // memory (and swap) of the container
  int64_t pids = 0;           // processes and threads at once
  double cpus = 0;            // CPU time, in cores (1.5: one and a half)
  absl::Duration timeout = absl::ZeroDuration();  // wall time
  // Bytes the process may add under ProcessSpec::writable_dir.
  uint64_t disk_bytes = 0;
};

enum class SecurityMode {
  // Docker's default capabilities, masked paths, read-only /sys, and
  // Docker's default seccomp profile (see ProcessSpec::seccomp).
  kSandbox,
  // RUN --security=insecure: privileged, as `docker run --privileged`, and
  // no seccomp profile.
  kInsecure,
};

// A mount added to the container, prepared by the caller (RUN --mount
// bind/cache/secret/ssh become host files or directories; tmpfs needs none).
struct Mount {
  enum class Type { kBind, kTmpfs };
  Type type = Type::kBind;
  // Host file or directory for kBind; unused for kTmpfs.
  std::string source;
  // Absolute path inside the container. Symlinks in it resolve inside the
  // rootfs.
  std::string target;
  bool readonly = false;
  // Extra mount(8) options, e.g. "size=64m" or "mode=0700" for tmpfs.
  std::vector<std::string> options;
};

// A container port published on the host (`farm run -p`): the private
// network's slirp4netns listens on host_ip:host_port and forwards to it.
struct PublishedPort {
  std::string protocol = "tcp";  // or "udp"
  std::string host_ip = "0.0.0.0";
  int host_port = 0;
  int container_port = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;  // argv; args[0] is looked up in PATH
  std::vector<std::string> env;   // "K=V"; runc adds HOME from /etc/passwd
  // Working directory, created (root, 0755) if missing. Symlinks in it
  // resolve inside the rootfs.
  std::string cwd = "/";
  // As in USER or `docker run -u`: "", "name", "uid", "name:group",
  // "uid:gid", "name:gid", "uid:group". "" is root.
  std::string user;
  std::string hostname = kDefaultHostname;
  NetworkMode network = NetworkMode::kPrivate;
  SecurityMode security = SecurityMode::kSandbox;
  // Docker's default seccomp profile in sandbox mode (never in insecure):
  // syscalls outside it fail with EPERM (clone3 with ENOSYS), and clone or
  // unshare of a new namespace is refused. false runs the sandbox without
  // it, as `docker run --security-opt seccomp=unconfined`.
  bool seccomp = true;
  ResourceLimits limits;
  // The directory that takes the process's writes (the overlay's upper
  // dir), watched for limits.disk_bytes; "" when there is no budget.
  std::string writable_dir;
  std::vector<Mount> mounts;
  // Sets noNewPrivileges in sandbox mode (the insecure mode never does).
  // BuildKit leaves it off so setuid programs such as sudo work in RUN.
  bool no_new_privileges = true;
  // Also bind a generated /etc/hostname, as `docker run` does (builds don't).
  bool bind_etc_hostname = false;
  // `farm run`: the container uses this process's stdin, stdout and stderr
  // directly and the OutputSink sees nothing. Builds never attach.
  bool attach_stdio = false;
  // With attach_stdio: allocate a terminal for the process (`docker run -t`).
  bool tty = false;
  // With attach_stdio: the process reads this process's stdin; false gives
  // it /dev/null, as `docker run` without -i.
  bool attach_stdin = true;
  // Published ports; only with NetworkMode::kPrivate.
  std::vector<PublishedPort> published_ports;
  // The runtime's name for the container, so that others can signal it or
  // run more processes in it (`farm stop`, `farm exec`); "" for a fresh
  // one. Must be unique among running containers.
  std::string container_id;
};

struct ExitStatus {
  // The process's exit status, or 128 + N when signal N killed it.
  int code = 0;
  // When the executor killed it for a limit, which: "memory limit 4 GiB
  // reached", "time limit 2h reached"; "" otherwise.
  std::string killed_by;
  bool success() const { return code == 0 && killed_by.empty(); }
};

class Executor {
 public:
  virtual ~Executor() = default;

  // Runs spec.args in a container whose root is `rootfs` (an absolute path
  // to a directory the caller owns, usually an overlay's merged dir) and
  // waits for it. Output goes to `output` line by line as it is produced.
  //
  // A process that ran returns its ExitStatus, whatever the code: a failing
  // RUN is not an error of the executor. Errors: kCancelled once `cancel`
  // fires (the container is killed and removed first); kInvalidArgument for
  // a malformed spec; kNotFound for an unknown user or group name;
  // kFailedPrecondition when the process could not start (no such
  // executable, a cwd that is not a directory); kAlreadyExists when a
  // published host port is taken (Docker's sentence); kUnavailable when the
  // worker cannot run containers (runc, or slirp4netns for kPrivate,
  // missing or failing: another worker may succeed); kInternal when the
  // runtime itself fails. On every path the runtime state and the network
  // sandbox are removed and the rootfs keeps no mount-point stubs.
  //
  // Thread-safe: several Runs may proceed at once on different rootfs dirs.
  virtual absl::StatusOr<ExitStatus> Run(const std::string& rootfs,
                                         const ProcessSpec& spec,
                                         OutputSink& output,
                                         const Cancellation& cancel) = 0;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_EXECUTOR_H_
