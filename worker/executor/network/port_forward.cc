#include "worker/executor/network/port_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/unix_socket_path.h"
#include "nlohmann/json.hpp"

namespace farm::executor::network {
namespace {

// Whether a socket of this process could take the host port now. slirp4netns
// reports every refusal alike, so a taken port is told apart this way.
bool HostPortTaken(const HostForward& forward) {
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(forward.host_port);
  if (inet_pton(AF_INET, forward.host_ip.c_str(), &address.sin_addr) != 1) {
    return false;
  }
  ScopedFd fd(socket(
      AF_INET,
      (forward.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
      0));
  if (fd.get() < 0) return false;
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&address),
              sizeof(address)) != 0 &&
         errno == EADDRINUSE;
}

absl::StatusOr<std::string> Ask(const std::string& api_socket,
                                const std::string& request) {
  absl::StatusOr<UnixSocketPath> path = UnixSocketPath::For(api_socket);
  if (!path.ok()) return path.status();
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  strncpy(address.sun_path, path->address().c_str(),
          sizeof(address.sun_path) - 1);
  ScopedFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ErrnoStatus(errno, "socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address),
              sizeof(address)) != 0) {
    return ErrnoStatus(errno, absl::StrCat("connecting to ", api_socket));
  }
  // slirp4netns reads the request up to the end of our half.
  if (write(fd.get(), request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    return ErrnoStatus(errno, "writing to slirp4netns");
  }
  shutdown(fd.get(), SHUT_WR);
  std::string reply;
  char buffer[4096];
  ssize_t got;
  while ((got = read(fd.get(), buffer, sizeof(buffer))) > 0) {
    reply.append(buffer, got);
  }
  if (got < 0) return ErrnoStatus(errno, "reading from slirp4netns");
  return reply;
}

}  // namespace

std::string HostForwardRequest(const HostForward& forward) {
  nlohmann::json request = {{"execute", "add_hostfwd"},
                            {"arguments",
                             {{"proto", forward.protocol},
                              {"host_addr", forward.host_ip},
                              {"host_port", forward.host_port},
                              {"guest_port", forward.guest_port}}}};
  return request.dump();
}

absl::Status AddHostForward(const std::string& api_socket,
                            const HostForward& forward) {
  const std::string where =
      absl::StrCat(forward.host_ip, ":", forward.host_port);
  if (forward.protocol != "tcp" && forward.protocol != "udp") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid proto: ", forward.protocol));
  }
  for (int port : {forward.host_port, forward.guest_port}) {
    if (port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid port ", port, " for ", where));
    }
  }
  in_addr parsed;
  if (inet_pton(AF_INET, forward.host_ip.c_str(), &parsed) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid host address ", forward.host_ip, " (an IPv4 address)"));
  }
  if (HostPortTaken(forward)) {
    return absl::AlreadyExistsError(
        absl::StrCat("Bind for ", where, " failed: port is already allocated"));
  }
  absl::StatusOr<std::string> reply =
      Ask(api_socket, HostForwardRequest(forward));
  if (!reply.ok()) {
    return absl::UnavailableError(
        absl::StrCat("publishing ", where, ": ", reply.status().message()));
  }
  nlohmann::json answer = nlohmann::json::parse(*reply, nullptr, false);
  if (answer.is_object() && answer.contains("return")) return absl::OkStatus();
  // Someone took the port between the check and slirp4netns's bind.
  if (HostPortTaken(forward)) {
    return absl::AlreadyExistsError(
        absl::StrCat("Bind for ", where, " failed: port is already allocated"));
  }
  return absl::UnavailableError(
      absl::StrCat("publishing ", where, ": slirp4netns answered ", *reply));
}

}  // namespace farm::executor::network
