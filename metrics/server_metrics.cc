#include "metrics/server_metrics.h"

#include "metrics/grpc_metrics_interceptor.h"
#include "metrics/rpc_metrics.h"

namespace farm::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> ServeServerMetrics(
    const std::string& address, InterceptorFactories* interceptors) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(address);
  if (!server.ok()) return server.status();
  auto rpcs = std::make_shared<RpcMetrics>();
  (*server)->Add(rpcs);
  interceptors->push_back(MakeGrpcMetricsInterceptorFactory(rpcs));
  return server;
}

}  // namespace farm::metrics
