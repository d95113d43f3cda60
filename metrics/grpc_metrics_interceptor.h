// A gRPC server interceptor that reports every finished RPC to RpcMetrics:
// its method, the status code it sent, and how long it took. Installed
// through StartGrpcServer (cache/service/grpc_server.h) when a server has
// --metrics-listen.
#ifndef FARM_METRICS_GRPC_METRICS_INTERCEPTOR_H_
#define FARM_METRICS_GRPC_METRICS_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "common/clock.h"
#include "metrics/rpc_metrics.h"

namespace farm::metrics {

// A factory for ServerBuilder::experimental().SetInterceptorCreators. It
// shares `metrics`, so either may go first. An RPC that ends without a
// status (the client hung up) is recorded as CANCELLED. `clock` must
// outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(std::shared_ptr<RpcMetrics> metrics,
                                  const Clock* clock = RealClock::Get());

}  // namespace farm::metrics

#endif  // FARM_METRICS_GRPC_METRICS_INTERCEPTOR_H_
