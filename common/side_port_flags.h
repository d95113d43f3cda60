// The flags of the two plaintext side ports that farm-scheduler and
// farm-cache may open next to their main port: --health-listen (the gRPC
// health service alone) and --metrics-listen (Prometheus' /metrics alone).
// farm-worker parses its flags by hand and names the same two.
#ifndef FARM_COMMON_SIDE_PORT_FLAGS_H_
#define FARM_COMMON_SIDE_PORT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, health_listen);
ABSL_DECLARE_FLAG(std::string, metrics_listen);

#endif  // FARM_COMMON_SIDE_PORT_FLAGS_H_
