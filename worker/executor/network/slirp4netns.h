// slirp4netns serving one network namespace: a tap0 in it (10.0.2.100/24,
// gateway 10.0.2.2, DNS forwarder 10.0.2.3 as in etc_files.h) whose traffic
// leaves through ordinary sockets of the host, with the host's loopback out
// of reach. docs/executor.md says why slirp4netns.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_SLIRP4NETNS_H_
#define FARM_WORKER_EXECUTOR_NETWORK_SLIRP4NETNS_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/fs.h"
#include "common/subprocess.h"

namespace farm::executor::network {

// slirp4netns's fixed addresses (its default --cidr, 10.0.2.0/24).
inline constexpr char kGuestAddress[] = "10.0.2.100";
inline constexpr char kHostAlias[] = "10.0.2.2";  // refused: loopback is off
inline constexpr char kInterface[] = "tap0";

class Slirp4netns {
 public:
  struct Options {
    std::string binary = "slirp4netns";  // a bare name is looked up in PATH
    // How long slirp4netns may take to configure tap0 (it takes ~10 ms).
    absl::Duration ready_timeout = absl::Seconds(10);
  };

  // Starts slirp4netns on the namespace at `netns_path`, its output
  // going to `log_path`, its API socket (port_forward.h) at `api_socket`
  // unless that is "", and returns once tap0 is up. kUnavailable when the
  // binary is missing (the message says how to install it), when it exits
  // first (the message holds its output) or when it is not ready in time.
  static absl::StatusOr<std::unique_ptr<Slirp4netns>> Start(
      const Options& options, const std::string& netns_path,
      const std::string& log_path, const std::string& api_socket = "");

  // Kills and reaps slirp4netns. Should this process die first, slirp4netns
  // sees its --exit-fd close and exits by itself.
  ~Slirp4netns() = default;

  // Sends SIGKILL without waiting: slirp4netns needs ~20 ms to exit (the
  // kernel tears down its tap device), which the caller may overlap with
  // other work. The destructor reaps it.
  void Stop() { process_.Kill(SIGKILL); }

  pid_t pid() const { return process_.pid(); }

 private:
  Slirp4netns(Subprocess process, ScopedFd exit_fd)
      : exit_fd_(std::move(exit_fd)), process_(std::move(process)) {}

  ScopedFd exit_fd_;    // slirp4netns's --exit-fd is the read end
  Subprocess process_;  // destroyed first: SIGKILL and reap
};

// The command line, with the fds slirp4netns reports readiness on and
// watches for its exit, and its API socket ("" for none).
std::vector<std::string> Slirp4netnsArgv(const std::string& binary,
                                         const std::string& netns_path,
                                         int ready_fd, int exit_fd,
                                         const std::string& api_socket = "");

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_SLIRP4NETNS_H_
