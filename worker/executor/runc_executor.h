// RuncExecutor, the Executor of real workers: each Run gets a fresh bundle and
// container id under a runc state root of its own, runs `runc run` in the
// foreground, and always ends with `runc delete --force`.
#ifndef FARM_WORKER_EXECUTOR_RUNC_EXECUTOR_H_
#define FARM_WORKER_EXECUTOR_RUNC_EXECUTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/executor/executor.h"

namespace farm::executor {

class RuncExecutor : public Executor {
 public:
  struct Options {
    // Holds runc's state root (state_dir/runc) and the per-run bundles
    // (state_dir/bundles), e.g. <worker --root>/executor. Created if missing.
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
  };

  // kInvalidArgument for a relative or empty state_dir; errors creating it.
  static absl::StatusOr<std::unique_ptr<RuncExecutor>> Create(Options options);

  // See Executor::Run. Adds kUnavailable when runc cannot be started (the
  // worker is broken, another may succeed).
  absl::StatusOr<ExitStatus> Run(const std::string& rootfs,
                                 const ProcessSpec& spec, OutputSink& output,
                                 const Cancellation& cancel) override;

  // runc's --root, for tests and `farm` diagnostics.
  std::string runc_root() const;

 private:
  explicit RuncExecutor(Options options) : options_(std::move(options)) {}

  // Runs the prepared bundle and pumps its output until runc exits.
  absl::StatusOr<ExitStatus> RunContainer(const std::string& id,
                                          const std::string& bundle,
                                          const ProcessSpec& spec,
                                          OutputSink& output,
                                          const Cancellation& cancel);
  // `runc delete --force ID`.
  absl::Status Delete(const std::string& id);

  Options options_;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_RUNC_EXECUTOR_H_
