// ContainerManager: the containers of the local farm server. It keeps their
// records (ContainerTable), mounts their filesystems from the farm's own
// layer store, runs detached ones itself (output to a log file), and lends
// attached ones to the client that runs them with its terminal. Stop and
// remove work on both alike, through runc, so no command needs the store
// the way a container once held it.
#ifndef FARM_CLIENT_LOCAL_CONTAINER_MANAGER_H_
#define FARM_CLIENT_LOCAL_CONTAINER_MANAGER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/blob_store.h"
#include "client/local/container_table.h"
#include "proto/container.pb.h"
#include "worker/executor/runc_executor.h"
#include "worker/snapshot/snapshot_store.h"

namespace farm::client::local {

class ContainerManager {
 public:
  struct Options {
    std::string root;         // the farm's --root, absolute
    cache::BlobStore* blobs;  // where the layers are; not owned
    absl::Duration stop_timeout = absl::Seconds(10);  // `farm stop`'s default
  };

  // Opens the records under root/containers and the layer store under
  // root/run/snapshots. Containers a crashed server left running are
  // killed and marked exited (137).
  static absl::StatusOr<std::unique_ptr<ContainerManager>> Create(
      Options options);
  // Kills the detached containers still running and waits for them.
  ~ContainerManager();

  // Starts a detached container and returns once its process runs (or
  // could not start: the executor's error, the record kept as "created",
  // removed with --rm). kAlreadyExists for a taken name or host port.
  absl::StatusOr<proto::ContainerRecord> RunDetached(
      const proto::ContainerConfig& config);

  // An attached container: its record (running) and mounted filesystem,
  // for the client to run. EndAttached ends it: with the client's report,
  // or null when the client went away (the container is killed).
  struct Attached {
    proto::ContainerRecord record;
    std::string rootfs;
  };
  absl::StatusOr<Attached> StartAttached(const proto::ContainerConfig& config);
  void EndAttached(const std::string& id, const proto::ExitReport* report);

  // SIGTERM, then SIGKILL after `timeout` (Options::stop_timeout when
  // unset); returns the record once the container has exited. A stopped
  // container is left as it is.
  absl::StatusOr<proto::ContainerRecord> Stop(
      const std::string& ref, std::optional<absl::Duration> timeout);
  // Removes a stopped container; a running one only with `force` (killed
  // first), else kFailedPrecondition in Docker's words.
  absl::StatusOr<proto::ContainerRecord> Remove(const std::string& ref,
                                                bool force);

  const ContainerTable& table() const { return *table_; }
  // Containers running now (the server stays up while there are any).
  int running() const;
  std::string runc_root() const { return executor_->runc_root(); }

 private:
  struct Live;
  explicit ContainerManager(Options options) : options_(std::move(options)) {}

  // Record and filesystem of a new container, marked running.
  absl::StatusOr<Attached> Start(const proto::ContainerConfig& config,
                                 bool attached);
  // Releases the filesystem and records the exit (or forgets the record).
  void Finish(const std::string& id, const proto::ExitReport& report);
  // Sends `signal` through runc until the container is gone or `timeout`
  // passes; says whether it is gone.
  bool SignalUntilGone(const proto::ContainerRecord& record,
                       const std::string& signal, absl::Duration timeout);
  // Kills and deletes a container by runc's name, ignoring errors.
  void KillRuntime(const std::string& runtime_id);

  const Options options_;
  std::unique_ptr<ContainerTable> table_;
  std::unique_ptr<executor::RuncExecutor> executor_;
  std::unique_ptr<snapshot::SnapshotStore> snapshots_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Live>> live_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_CONTAINER_MANAGER_H_
