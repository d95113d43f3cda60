// IdleWatch: when the local farm server may exit. It counts the calls in
// flight (an interceptor made by CallCounter sees each call begin and end;
// a build or an attached container is one long call) and when the last one
// ended. Running detached containers keep the server too; the caller says
// whether there are any.
#ifndef FARM_CLIENT_LOCAL_IDLE_WATCH_H_
#define FARM_CLIENT_LOCAL_IDLE_WATCH_H_

#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace farm::client::local {

class IdleWatch {
 public:
  explicit IdleWatch(absl::Time now) : last_end_(now) {}

  void CallStarted();
  void CallEnded(absl::Time now);
  int calls() const;

  // True when no call is in flight, nothing else is `busy`, and the last
  // call ended `timeout` or more before `now`.
  bool Idle(absl::Time now, bool busy, absl::Duration timeout) const;

 private:
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_end_ ABSL_GUARDED_BY(mu_);
};

// Interceptors that report every call's start and end to `watch`, which
// outlives the server; the WorkerService calls of the server's own worker
// and LocalServer calls (status, stop) are not counted.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallCounter(IdleWatch* watch);

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_IDLE_WATCH_H_
