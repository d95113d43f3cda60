// RuncExecutor, the Executor of real workers: each Run gets a fresh bundle and
// container id under a runc state root of its own, runs `runc run` in the
// foreground, and always ends with `runc delete --force`.
#ifndef FARM_WORKER_EXECUTOR_RUNC_EXECUTOR_H_
#define FARM_WORKER_EXECUTOR_RUNC_EXECUTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "worker/executor/cgroup.h"
#include "worker/executor/cgroup_limits.h"
#include "worker/executor/executor.h"
#include "worker/executor/network/sandbox_pool.h"

namespace farm::executor {

class RuncExecutor : public Executor {
 public:
  struct Options {
    // Holds runc's state root (state_dir/runc), the per-run bundles
    // (state_dir/bundles) and network namespaces (state_dir/netns), e.g.
    // <worker --root>/executor. Created if missing.
    std::string state_dir;
    // The runc binary; a bare name is looked up in PATH.
    std::string runc = "runc";
    // Copied, adjusted, into each container (see ResolvConfContent).
    std::string host_resolv_conf = "/etc/resolv.conf";
    // After a cancellation, how long `runc kill` may take before runc
    // itself is killed and `runc delete --force` cleans up.
    absl::Duration kill_grace = absl::Seconds(2);
    // Remove the stubs of /proc, /dev and /sys too (issue 4: no runtime
    // mount point leaks into a layer). BuildKit removes only the stubs of
    // the /etc files and RUN --mount targets, so on a base without /proc or
    // /sys its RUN layers hold the empty directories runc made; false
    // matches that.
    bool remove_system_stubs = true;
    // Serves NetworkMode::kPrivate (network/network_sandbox.h); a bare name
    // is looked up in PATH.
    std::string slirp4netns = "slirp4netns";
    // Private networks opened ahead of the runs that take them (each serves
    // one container), and closed in the background after them: a RUN need
    // not wait for either. 0 opens and closes each in the run itself.
    int spare_networks = 0;
    // Each run gets the cgroup <cgroup_parent>/<container id>, which holds
    // its memory, pids and CPU limits (cgroup_limits.h), with runc's own
    // nested inside; absolute, e.g. CgroupParentForRoot(root). "" leaves
    // the cgroup to runc and allows no such limit (kInvalidArgument).
    std::string cgroup_parent;
    // Measures ProcessSpec::limits.timeout; not owned.
    const Clock* clock = RealClock::Get();
  };

  // kInvalidArgument for a relative or empty state_dir or cgroup_parent,
  // kFailedPrecondition when a cgroup_parent is given and no cgroup
  // filesystem is mounted, or when Docker's
  // seccomp profile has no rules for this host's architecture; errors
  // creating state_dir.
  static absl::StatusOr<std::unique_ptr<RuncExecutor>> Create(Options options);

  // See Executor::Run. Adds kUnavailable when runc cannot be started, or
  // slirp4netns for NetworkMode::kPrivate (the worker is broken, another may
  // succeed).
  absl::StatusOr<ExitStatus> Run(const std::string& rootfs,
                                 const ProcessSpec& spec, OutputSink& output,
                                 const Cancellation& cancel) override;

  // runc's --root, for tests and `farm` diagnostics.
  std::string runc_root() const;

 private:
  explicit RuncExecutor(Options options) : options_(std::move(options)) {}

  // Runs the prepared bundle and pumps its output until runc exits, killing
  // the container when `cancel` fires or a limit of spec.limits is reached
  // (read from `cgroup`, which may be null, and spec.writable_dir).
  absl::StatusOr<ExitStatus> RunContainer(
      const std::string& id, const std::string& bundle, const ProcessSpec& spec,
      CgroupLimits* cgroup, OutputSink& output, const Cancellation& cancel);
  // `runc delete --force ID`.
  absl::Status Delete(const std::string& id);

  Options options_;
  // The linux.seccomp section of sandboxed runs: Docker's default profile
  // for the capabilities they get on this host's architecture and kernel.
  nlohmann::json seccomp_;
  // Where the cgroup hierarchies are, when options_.cgroup_parent is set.
  CgroupMounts cgroup_mounts_;
  std::unique_ptr<network::SandboxPool> networks_;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_RUNC_EXECUTOR_H_
