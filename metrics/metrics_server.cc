#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "prometheus/exposer.h"

namespace farm::metrics {

namespace {

absl::Status BadAddress(const std::string& address, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--metrics-listen \"", address, "\": ", why,
                   " (expected HOST:PORT, e.g. 0.0.0.0:9700)"));
}

// Why `listening_port` (ParseMetricsAddress's form) cannot be bound, from a
// bind of our own: civetweb only says that it failed.
std::string BindError(const std::string& listening_port) {
  const size_t colon = listening_port.rfind(':');
  std::string host = listening_port.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(listening_port.substr(colon + 1), &port)) return "";
  sockaddr_storage storage = {};
  socklen_t length = 0;
  if (host.size() > 2 && host.front() == '[') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(),
                  &v6->sin6_addr) != 1) {
      return "";
    }
    length = sizeof(*v6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) return "";
    length = sizeof(*v4);
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return strerror(errno);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  std::string error;
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    error = strerror(errno);
  }
  close(fd);
  return error;
}

}  // namespace

absl::StatusOr<std::string> ParseMetricsAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return BadAddress(address, "no port");
  std::string host = address.substr(0, colon);
  int port = -1;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return BadAddress(address, "the port is not a number from 0 to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr v6;
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6) !=
        1) {
      return BadAddress(address, "not an IPv6 address in brackets");
    }
  } else {
    in_addr v4;
    if (inet_pton(AF_INET, host.c_str(), &v4) != 1) {
      return BadAddress(address, "the host must be an IP address or localhost");
    }
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address) {
  absl::StatusOr<std::string> listening_port = ParseMetricsAddress(address);
  if (!listening_port.ok()) return listening_port.status();
  std::unique_ptr<MetricsServer> server(new MetricsServer);
  try {
    // Two threads answer scrapes; a client that stalls is dropped after
    // ten seconds rather than holding one of them.
    server->exposer_ =
        std::make_unique<prometheus::Exposer>(std::vector<std::string>{
            "listening_ports", *listening_port, "num_threads", "2",
            "request_timeout_ms", "10000"});
  } catch (const std::exception& e) {
    // prometheus-cpp's exposer (civetweb) throws when it cannot bind.
    std::string why = BindError(*listening_port);
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                               address, ": ",
                                               why.empty() ? e.what() : why));
  }
  std::vector<int> ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  // Tests read the port from this line.
  FARM_LOG(INFO) << "serving Prometheus metrics at http://"
                 << listening_port->substr(0, listening_port->rfind(':')) << ":"
                 << server->port_ << "/metrics";
  return server;
}

MetricsServer::~MetricsServer() { exposer_.reset(); }

void MetricsServer::Add(std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable);
  collectables_.push_back(std::move(collectable));
}

}  // namespace farm::metrics
