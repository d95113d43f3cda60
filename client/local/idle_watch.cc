#include "client/local/idle_watch.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"

namespace farm::client::local {
namespace {

// Lives as long as its call: gRPC destroys it when the call is done.
class CountingInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit CountingInterceptor(IdleWatch* watch) : watch_(watch) {
    watch_->CallStarted();
  }
  ~CountingInterceptor() override { watch_->CallEnded(absl::Now()); }
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  IdleWatch* watch_;
};

class CountingFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(IdleWatch* watch) : watch_(watch) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // The server's own worker holds a WorkerService stream for as long as
    // it lives: that is no client's call. Nor is asking after the server
    // (`farm server status`), which must not keep it up.
    if (absl::StartsWith(info->method(), "/farm.proto.WorkerService/") ||
        absl::StartsWith(info->method(), "/farm.proto.LocalServer/")) {
      return nullptr;
    }
    return new CountingInterceptor(watch_);
  }

 private:
  IdleWatch* watch_;
};

}  // namespace

void IdleWatch::CallStarted() {
  absl::MutexLock lock(&mu_);
  ++calls_;
}

void IdleWatch::CallEnded(absl::Time now) {
  absl::MutexLock lock(&mu_);
  --calls_;
  last_end_ = std::max(last_end_, now);
}

int IdleWatch::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

bool IdleWatch::Idle(absl::Time now, bool busy, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return calls_ == 0 && !busy && now - last_end_ >= timeout;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallCounter(IdleWatch* watch) {
  return std::make_unique<CountingFactory>(watch);
}

}  // namespace farm::client::local
