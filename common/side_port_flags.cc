#include "common/side_port_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, health_listen, "",
          "plaintext port serving only grpc.health.v1 (for probes); empty: "
          "none");
ABSL_FLAG(std::string, metrics_listen, "",
          "plaintext HTTP address serving only Prometheus metrics at "
          "/metrics; empty: none");
