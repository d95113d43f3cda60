#include "metrics/grpc_metrics_interceptor.h"

#include <string>
#include <utility>

namespace farm::metrics {

namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerInterceptorFactoryInterface;
using grpc::experimental::ServerRpcInfo;

// One per RPC: notes the start, and records when the status goes out.
class MetricsInterceptor : public Interceptor {
 public:
  MetricsInterceptor(std::shared_ptr<RpcMetrics> metrics, const Clock* clock,
                     const char* method)
      : metrics_(std::move(metrics)),
        clock_(clock),
        method_(method == nullptr ? "" : method),
        start_(clock->Now()) {}

  ~MetricsInterceptor() override {
    if (!recorded_) {
      Record(static_cast<int>(grpc::StatusCode::CANCELLED));
    }
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(static_cast<int>(methods->GetSendStatus().error_code()));
    }
    methods->Proceed();
  }

 private:
  void Record(int code) {
    recorded_ = true;
    metrics_->Record(method_, code, clock_->Now() - start_);
  }

  std::shared_ptr<RpcMetrics> metrics_;
  const Clock* clock_;
  std::string method_;
  absl::Time start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory : public ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(std::shared_ptr<RpcMetrics> metrics,
                            const Clock* clock)
      : metrics_(std::move(metrics)), clock_(clock) {}

  Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, clock_, info->method());
  }

 private:
  std::shared_ptr<RpcMetrics> metrics_;
  const Clock* clock_;
};

}  // namespace

std::unique_ptr<ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(std::shared_ptr<RpcMetrics> metrics,
                                  const Clock* clock) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(metrics), clock);
}

}  // namespace farm::metrics
