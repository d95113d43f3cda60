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

// The container's resolv.conf from the host's (`host` is "" when the host has
// none). With the host network the file is kept as it is: loopback resolvers
// such as systemd-resolved's 127.0.0.53 answer there. In a private network
// namespace loopback nameservers (127.0.0.0/8, ::1) are dropped. When no
// nameserver is left, Docker's fallbacks (Google's public resolvers, IPv4
// and IPv6) are appended.
std::string ResolvConfContent(absl::string_view host, NetworkMode network);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_ETC_FILES_H_
