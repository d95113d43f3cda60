// The /etc files bind-mounted read-only into build containers, made as
// BuildKit makes them: hosts names localhost and the hostname; resolv.conf is
// the host's, minus nameservers the container cannot reach.
#ifndef FARM_WORKER_EXECUTOR_ETC_FILES_H_
#define FARM_WORKER_EXECUTOR_ETC_FILES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "worker/executor/executor.h"

namespace farm::executor {

// "127.0.0.1\tlocalhost HOSTNAME\n::1\tlocalhost ip6-localhost ip6-loopback\n"
std::string HostsFileContent(absl::string_view hostname);

// The nameserver addresses of a resolv.conf, in order (comments and lines
// whose address does not parse are skipped).
std::vector<std::string> Nameservers(absl::string_view resolv_conf);

// The forwarder of NetworkMode::kPrivate's network (slirp4netns's, at .3 of
// its 10.0.2.0/24): it relays DNS to the first nameserver of the worker's
// /etc/resolv.conf, a loopback one included.
inline constexpr char kPrivateNetworkDns[] = "10.0.2.3";

// The container's resolv.conf from the host's (`host` is "" when the host has
// none). With the host network the file is kept as it is: loopback resolvers
// such as systemd-resolved's 127.0.0.53 answer there. In a private network
// namespace loopback nameservers (127.0.0.0/8, ::1) are dropped, as Docker
// drops them. When no nameserver is left:
//  * kPrivate, after dropping loopback ones: kPrivateNetworkDns, which
//    reaches the host's loopback resolver (Docker would use Google's, which a
//    worker may not reach and which cannot answer for private zones);
//  * otherwise: Docker's fallbacks, Google's public resolvers (IPv4, IPv6).
std::string ResolvConfContent(absl::string_view host, NetworkMode network);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_ETC_FILES_H_
