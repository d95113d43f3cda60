// WorkerPool: the workers a JobScheduler places jobs on, indexed so that
// placing a job looks only at workers that could win it. Free workers (not
// draining, disk not full, a slot open) are kept ordered by load, and each
// layer knows which workers hold it. A placement costs O(log workers) when
// few workers are free or one of the least loaded holds all of the job's
// layers, and at most about twice the number of holders of those layers.
// It also names the worker a cache mount belongs to (Preferred).
#ifndef FARM_SCHEDULER_WORKER_POOL_H_
#define FARM_SCHEDULER_WORKER_POOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "cache/sharded/rendezvous.h"
#include "common/digest.h"
#include "google/protobuf/repeated_field.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

struct WorkerState {
  std::string id;
  int slots = 1;
  absl::flat_hash_set<std::string> layers;  // diff_ids it holds
  int64_t cached_bytes = 0;
  absl::Time last_heartbeat;
  bool draining = false;
  bool disk_full = false;  // too little free disk to take jobs
  int64_t disk_free_bytes = 0;
  std::set<std::string> running;  // job ids
  int64_t completed = 0;
  // What it runs stages for, as it registered ("linux/amd64"); a worker
  // that said nothing runs linux/amd64 natively.
  std::vector<std::string> native;
  std::vector<std::string> emulated;
};

// How a worker would run a job's platform.
enum class RunMode { kNative, kEmulated };

// Not thread-safe. The fields placement reads (slots, layers, draining,
// disk_full, running) change only through the methods below; the others may
// be written through Find().
class WorkerPool {
 public:
  using Layers = google::protobuf::RepeatedPtrField<std::string>;

  // Adds a worker whose id is not in the pool, as it registered.
  WorkerState& Join(const proto::RegisterWorker& reg, absl::Time now);
  // nullptr for an unknown id.
  WorkerState* Find(const std::string& id);
  void Remove(const std::string& id);
  void Heartbeat(WorkerState& worker, const proto::Heartbeat& beat,
                 absl::Time now);
  // `job_id` starts or stops taking one of the worker's slots.
  void StartJob(WorkerState& worker, const std::string& job_id);
  void EndJob(WorkerState& worker, const std::string& job_id);

  // Among the free workers that run `platform` the way `mode` says: the one
  // holding most of `layers` (counted with repeats), then the least loaded
  // (running / slots), then the first by id; nullptr when none is free.
  // Free workers that cannot run the platform are stepped over.
  WorkerState* Pick(const Layers& layers, const std::string& platform,
                    RunMode mode) const;
  // The worker a job with this cache-mount affinity (CacheMountAffinity)
  // belongs on: the first by weighted rendezvous hashing of the worker ids
  // (cache/sharded/rendezvous.h, every weight 1) among the connected workers
  // that run `platform` in `mode` and are not draining, free or not. A
  // worker that joins or leaves moves only its own share of the caches.
  // nullptr when no worker qualifies.
  WorkerState* Preferred(const Digest& affinity, const std::string& platform,
                         RunMode mode);
  // Not draining, disk not full, a slot open.
  static bool IsFree(const WorkerState& worker);
  // How many connected workers run `platform` in `mode`, free or not.
  int CountRunning(const std::string& platform, RunMode mode) const;
  // "linux/amd64 (native), linux/arm64 (emulated)": every platform some
  // connected worker runs.
  std::string DescribePlatforms() const;

  // Every worker, by id.
  const std::map<std::string, WorkerState>& workers() const { return workers_; }
  size_t free_workers() const { return free_.size(); }

 private:
  // A free worker's place in free_: its load when it was listed.
  struct FreeKey {
    int running = 0;
    int slots = 1;
    WorkerState* worker = nullptr;
  };
  struct LessLoaded {
    bool operator()(const FreeKey& a, const FreeKey& b) const;
  };

  static bool Runs(const WorkerState& worker, const std::string& platform,
                   RunMode mode);
  // Every change to a field placement reads sits between Unlist and List.
  void Unlist(WorkerState& worker);
  void List(WorkerState& worker);
  void AddLayer(WorkerState& worker, const std::string& diff_id);
  void RemoveLayer(WorkerState& worker, const std::string& diff_id);
  // Pick by looking at the free holders of each layer.
  WorkerState* PickFromHolders(const Layers& layers,
                               const std::string& platform, RunMode mode) const;
  void CountPlatforms(const WorkerState& worker, int delta);

  std::map<std::string, WorkerState> workers_;  // nodes never move
  std::set<FreeKey, LessLoaded> free_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<WorkerState*>>
      holders_;  // diff_id → workers holding it
  // The rendezvous ranking Preferred uses for one platform and mode, made
  // again once the workers that qualify may have changed.
  struct Ranking {
    uint64_t membership = 0;  // membership_ when it was made
    std::unique_ptr<cache::RendezvousRanking> ranking;  // null: none qualify
    std::vector<WorkerState*> workers;  // by index in the ranking
  };
  std::map<std::pair<std::string, RunMode>, Ranking> rankings_;
  // Bumped when a worker joins, leaves, or starts or stops draining.
  uint64_t membership_ = 1;
  // platform → how many workers run it natively, and by emulation.
  std::map<std::string, int> native_count_;
  std::map<std::string, int> emulated_count_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_WORKER_POOL_H_
