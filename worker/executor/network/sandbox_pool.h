// SandboxPool: network sandboxes opened ahead of the runs that take them.
// Opening one takes tens of milliseconds (a namespace, slirp4netns, its
// ready signal) and closing one as many; a RUN that waited for both would
// pay them on every step. The pool keeps a few open and ready, and closes
// used ones in the background. A sandbox serves one container only: none
// is ever handed out twice.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_SANDBOX_POOL_H_
#define FARM_WORKER_EXECUTOR_NETWORK_SANDBOX_POOL_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/executor/network/network_sandbox.h"

namespace farm::executor::network {

// Thread-safe.
class SandboxPool {
 public:
  // Keeps up to `spares` sandboxes open ahead (0: open each on demand).
  // Sandbox names are unique in options.dir for this process.
  SandboxPool(NetworkSandbox::Options options, int spares);
  // Closes the spares and waits for every close in flight.
  ~SandboxPool();

  // A spare if one is ready, else one opened now (with Open's errors);
  // either way the pool starts opening the next spare.
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> Take();
  // Closes `sandbox` (its container is gone): its network at once, its
  // files in the background (at once when the pool keeps no spares).
  void Release(std::unique_ptr<NetworkSandbox> sandbox);

 private:
  // The background thread: opens spares and closes released sandboxes.
  void Loop();
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> OpenOne();

  const NetworkSandbox::Options options_;
  const int spares_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<NetworkSandbox>> ready_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<NetworkSandbox>> closing_ ABSL_GUARDED_BY(mu_);
  // A spare failed to open: stop trying ahead until a Take succeeds.
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_name_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_SANDBOX_POOL_H_
