// MetricsServer: serves Prometheus' text format at /metrics over plain HTTP
// (prometheus-cpp's exposer), for --metrics-listen. The port serves only
// metrics, never the farm's RPCs, so it needs no TLS or tokens and may
// listen on every interface: Kubernetes scrapes pod IPs.
#ifndef FARM_METRICS_METRICS_SERVER_H_
#define FARM_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"

namespace prometheus {
class Exposer;
}

namespace farm::metrics {

// "HOST:PORT" as civetweb's listening_ports takes it. HOST is an IPv4
// address, "[IPv6]" or "localhost"; PORT 0 picks a free port.
// kInvalidArgument naming the flag's value otherwise.
absl::StatusOr<std::string> ParseMetricsAddress(const std::string& address);

class MetricsServer {
 public:
  // Listens on `address` (see ParseMetricsAddress). kInvalidArgument for a
  // malformed address; kUnavailable, with the system's reason, when it
  // cannot be bound (taken, or not this machine's).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address);
  // Stops serving; a scrape in progress finishes first.
  ~MetricsServer();

  // Adds what /metrics reports. The server keeps `collectable` alive; its
  // Collect() runs on the server's threads, so it must be thread-safe. Add
  // itself is called from one thread (main, at start-up).
  void Add(std::shared_ptr<prometheus::Collectable> collectable);
  // The bound port (the chosen one for port 0).
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  // Declared first, so the exposer (which only holds weak pointers) stops
  // before they go.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace farm::metrics

#endif  // FARM_METRICS_METRICS_SERVER_H_
