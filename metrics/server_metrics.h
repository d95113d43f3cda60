// The --metrics-listen of a gRPC server's main: a /metrics endpoint that
// already serves the RPC series, and the interceptor that records them, for
// StartGrpcServer. The main adds its component's own series.
#ifndef FARM_METRICS_SERVER_METRICS_H_
#define FARM_METRICS_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metrics/metrics_server.h"

namespace farm::metrics {

using InterceptorFactories = std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>;

// Starts a MetricsServer on `address` (its errors) and appends the RPC
// interceptor to `interceptors`.
absl::StatusOr<std::unique_ptr<MetricsServer>> ServeServerMetrics(
    const std::string& address, InterceptorFactories* interceptors);

}  // namespace farm::metrics

#endif  // FARM_METRICS_SERVER_METRICS_H_
