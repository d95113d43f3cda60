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
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"
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

// Makes OpenFarmChannel reach the embedded farm through the root's local
// server (client/local), started by this binary as `farm serve-local`,
// rather than inside this process. The `farm` binary calls it at start-up;
// tests that link the farm in keep it in their process.
void UseLocalServer();

// How the local server (client/local) serves the farm beyond this process.
struct EmbeddedServing {
  // A gRPC address to listen on too, e.g. "unix:PATH"; "" for none.
  std::string listen_address;
  // Services besides the node's, made once the node is open; owned by the
  // farm and stopped with it.
  std::function<std::vector<std::unique_ptr<grpc::Service>>(
      scheduler::FarmNode& node)>
      services;
  // See grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  // FarmNodeOptions::image_in_use.
  scheduler::ImageService::InUseFn image_in_use;
};

class EmbeddedFarm {
 public:
  // Opens the node under `root`. kUnavailable when another process holds
  // that root; kUnavailable too when serving.listen_address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<EmbeddedFarm>> Start(
      const std::string& root, const WorkerStarter& start_worker,
      EmbeddedServing serving = {});
  // Stops the worker, then the server, then closes the stores cleanly.
  ~EmbeddedFarm();
  // Stops the worker and the server, keeping the stores open (what serving
  // added can then be torn down before them). Idempotent.
  void Stop();
  // Stops the worker if it runs and no job needs it now; the next job that
  // waits starts a new one. An idle local server so keeps no build network
  // or helper process. Says whether it stopped one.
  bool StopIdleWorker();

  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  scheduler::FarmNode* node() { return node_.get(); }

 private:
  EmbeddedFarm() = default;
  // Starts the worker on a thread of its own, once.
  void RequestWorker();

  std::unique_ptr<scheduler::FarmNode> node_;
  std::vector<std::unique_ptr<grpc::Service>> more_services_;
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
