// Published ports (`farm run -p`): slirp4netns listens on a host address
// and forwards each connection into the container's namespace, asked over
// its API socket (the add_hostfwd command). No iptables and no root-only
// bridge: the same user-mode stack that serves RUN's network.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_PORT_FORWARD_H_
#define FARM_WORKER_EXECUTOR_NETWORK_PORT_FORWARD_H_

#include <string>

#include "absl/status/status.h"

namespace farm::executor::network {

struct HostForward {
  std::string protocol = "tcp";  // or "udp"
  std::string host_ip = "0.0.0.0";
  int host_port = 0;
  int guest_port = 0;
};

// Asks the slirp4netns behind `api_socket` to forward `forward`.
// kAlreadyExists with Docker's sentence ("Bind for 0.0.0.0:8080 failed:
// port is already allocated") when another socket holds the host port;
// kInvalidArgument for a bad protocol, address or port; kUnavailable when
// slirp4netns does not answer or refuses for another reason.
absl::Status AddHostForward(const std::string& api_socket,
                            const HostForward& forward);

// The request add_hostfwd takes, as one JSON line.
std::string HostForwardRequest(const HostForward& forward);

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_PORT_FORWARD_H_
