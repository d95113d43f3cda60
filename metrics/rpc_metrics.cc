#include "metrics/rpc_metrics.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace farm::metrics {

namespace {

// From a millisecond to half an hour: unary calls sit at the low end,
// Build streams last a build, and a worker's Connect stream its lifetime
// (those land in +Inf).
const prometheus::Histogram::BucketBoundaries& RpcBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
      1,     2.5,   5,    10,    30,   60,  300,  1800};
  return *buckets;
}

}  // namespace

std::string MethodLabel(absl::string_view full_method) {
  // "/package.Service/Method" names the protobuf method package.Service.Method.
  const size_t slash = full_method.rfind('/');
  if (full_method.size() < 4 || full_method[0] != '/' || slash == 0 ||
      slash + 1 == full_method.size()) {
    return "unknown";
  }
  const std::string dotted = absl::StrCat(full_method.substr(1, slash - 1), ".",
                                          full_method.substr(slash + 1));
  if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          dotted) == nullptr) {
    return "unknown";
  }
  return std::string(full_method);
}

std::string CodeLabel(int code) {
  if (code < 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return "UNKNOWN";
  }
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

RpcMetrics::RpcMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      handled_(prometheus::BuildCounter()
                   .Name("farm_grpc_server_handled_total")
                   .Help("RPCs the server finished, by method and status code")
                   .Register(*registry_)),
      handling_(prometheus::BuildHistogram()
                    .Name("farm_grpc_server_handling_seconds")
                    .Help("Time from an RPC's start to its status, by method "
                          "and status code")
                    .Register(*registry_)) {}

void RpcMetrics::Record(absl::string_view full_method, int code,
                        absl::Duration took) {
  const prometheus::Labels labels = {{"method", MethodLabel(full_method)},
                                     {"code", CodeLabel(code)}};
  handled_.Add(labels).Increment();
  handling_.Add(labels, RpcBuckets()).Observe(absl::ToDoubleSeconds(took));
}

std::vector<prometheus::MetricFamily> RpcMetrics::Collect() const {
  return registry_->Collect();
}

}  // namespace farm::metrics
