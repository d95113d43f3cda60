// NetworkMode::kPrivate for one container: a network namespace of its own,
// held by a descriptor of this process that runc joins through /proc, with
// outbound access through slirp4netns and the host's loopback out of reach,
// as Docker's bridge network gives. RuncExecutor opens one per run and drops
// it once the container is gone.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_NETWORK_SANDBOX_H_
#define FARM_WORKER_EXECUTOR_NETWORK_NETWORK_SANDBOX_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/fs.h"
#include "worker/executor/network/network_namespace.h"
#include "worker/executor/network/port_forward.h"
#include "worker/executor/network/slirp4netns.h"

namespace farm::executor::network {

class NetworkSandbox {
 public:
  struct Options {
    // Holds NAME.lock, NAME.log (slirp4netns's output) and NAME.api (its
    // API socket, for published ports) of each open sandbox; created if
    // missing.
    std::string dir;
    Slirp4netns::Options slirp4netns;
  };

  // Makes a network namespace and starts slirp4netns on it; returns once
  // tap0 is up, so the container starts with a working network.
  // `name` must be unique among the sandboxes open in `dir` (a container
  // id). Every error is kUnavailable (the worker is broken, not the step)
  // and leaves nothing behind; see Slirp4netns::Start for the messages.
  static absl::StatusOr<std::unique_ptr<NetworkSandbox>> Open(
      const Options& options, const std::string& name);

  // Stops slirp4netns, closes the namespace's descriptor and removes the
  // sandbox's files. Call it once no container has still to join the
  // namespace (its path names this process's descriptor).
  ~NetworkSandbox();

  // Takes the network down now and lets slirp4netns exit while the caller
  // cleans up other things (`runc delete`); the destructor waits for it.
  void Stop() { slirp4netns_->Stop(); }

  NetworkSandbox(const NetworkSandbox&) = delete;
  NetworkSandbox& operator=(const NetworkSandbox&) = delete;

  // Forwards a host port into the namespace; see AddHostForward for the
  // errors.
  absl::Status Publish(const HostForward& forward) {
    return AddHostForward(base_ + ".api", forward);
  }

  // For SpecInputs::network_namespace: "/proc/PID/fd/N" of this process.
  const std::string& namespace_path() const { return namespace_->path(); }
  pid_t slirp4netns_pid() const { return slirp4netns_->pid(); }

  // Removes the files a process that died with sandboxes open left in
  // `dir` (slirp4netns exits by itself then, and the namespaces went with
  // the process), and unmounts and removes the NAME.net files that older
  // versions of farm bound namespaces on. The lock of a live sandbox is
  // held, so sandboxes of other processes sharing `dir` are kept. A missing
  // dir is fine.
  static absl::Status RemoveStale(const std::string& dir);

 private:
  NetworkSandbox(std::string base, ScopedFd lock)
      : base_(std::move(base)), lock_(std::move(lock)) {}

  std::string base_;  // dir/NAME
  ScopedFd lock_;     // base_.lock, flock()ed for the sandbox's life
  std::optional<NetworkNamespace> namespace_;
  std::unique_ptr<Slirp4netns> slirp4netns_;
};

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_NETWORK_SANDBOX_H_
