// EmbeddedFarm: the farm inside the `farm` process when no --remote is
// given: a FarmNode under --root, served over an in-process gRPC channel,
// plus one worker (started by whoever links the worker in, when the first
// stage job waits for one: a fully cached build starts none), so embedded and
// remote builds take the same code path.
#ifndef FARM_CLIENT_EMBEDDED_FARM_H_
#define FARM_CLIENT_EMBEDDED_FARM_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "scheduler/farm_node.h"

namespace farm::client {

// Starts an in-process worker on the farm's channel, storing blobs straight
// into `blobs`, the farm's own store (which outlives the worker); returns a
// handle that stops it when destroyed.
using WorkerStarter = std::function<absl::StatusOr<std::shared_ptr<void>>(
    std::shared_ptr<grpc::Channel> channel, const std::string& root,
    cache::BlobStore* blobs)>;

// Registers how OpenFarmChannel starts the embedded farm's worker; the
// `farm` binary calls it once at start-up.
void SetEmbeddedWorkerStarter(WorkerStarter starter);

class EmbeddedFarm {
 public:
  // Opens the node under `root`. kUnavailable when another process holds
  // that root.
  static absl::StatusOr<std::unique_ptr<EmbeddedFarm>> Start(
      const std::string& root, const WorkerStarter& start_worker);
  // Stops the worker, then the server, then closes the stores cleanly.
  ~EmbeddedFarm();

  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  scheduler::FarmNode* node() { return node_.get(); }

 private:
  EmbeddedFarm() = default;
  // Starts the worker on a thread of its own, once.
  void RequestWorker();

  std::unique_ptr<scheduler::FarmNode> node_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  WorkerStarter start_worker_;
  std::string root_;
  absl::Mutex mu_;
  bool worker_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::thread starter_;
  std::shared_ptr<void> worker_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::client

#endif  // FARM_CLIENT_EMBEDDED_FARM_H_
