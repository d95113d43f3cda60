// RpcMetrics: the RPCs a server finished, counted and timed by method and
// status code: farm_grpc_server_handled_total{method,code} and
// farm_grpc_server_handling_seconds{method,code}. The gRPC interceptor
// (grpc_metrics_interceptor.h) feeds it; it knows nothing of gRPC's calls.
#ifndef FARM_METRICS_RPC_METRICS_H_
#define FARM_METRICS_RPC_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace farm::metrics {

// The `method` label of an RPC: its full name ("/farm.proto.BuildService/
// Build") when a service compiled into this binary defines it, else
// "unknown", so that callers naming made-up methods cannot add series.
std::string MethodLabel(absl::string_view full_method);

// The `code` label: gRPC's name of a status code ("OK", "NOT_FOUND"), which
// is also Abseil's; "UNKNOWN" for a number outside the canonical codes.
std::string CodeLabel(int code);

// Thread-safe.
class RpcMetrics : public prometheus::Collectable {
 public:
  RpcMetrics();

  // One finished RPC. `full_method` as gRPC names it (see MethodLabel).
  void Record(absl::string_view full_method, int code, absl::Duration took);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_;
};

}  // namespace farm::metrics

#endif  // FARM_METRICS_RPC_METRICS_H_
