#include "scheduler/worker_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace farm::scheduler {

namespace {

// How many of `layers` (counted with repeats) the worker holds.
int Overlap(const WorkerState& worker, const WorkerPool::Layers& layers) {
  int overlap = 0;
  for (const std::string& diff_id : layers) {
    overlap += static_cast<int>(worker.layers.count(diff_id));
  }
  return overlap;
}

}  // namespace

bool WorkerPool::LessLoaded::operator()(const FreeKey& a,
                                        const FreeKey& b) const {
  // running/slots compared without division, so equal loads tie exactly.
  const int64_t left = int64_t{a.running} * b.slots;
  const int64_t right = int64_t{b.running} * a.slots;
  if (left != right) return left < right;
  return a.worker->id < b.worker->id;
}

bool WorkerPool::Runs(const WorkerState& worker, const std::string& platform,
                      RunMode mode) {
  const std::vector<std::string>& list =
      mode == RunMode::kNative ? worker.native : worker.emulated;
  for (const std::string& p : list) {
    if (p == platform) return true;
  }
  return false;
}

void WorkerPool::CountPlatforms(const WorkerState& worker, int delta) {
  for (const std::string& p : worker.native) native_count_[p] += delta;
  for (const std::string& p : worker.emulated) emulated_count_[p] += delta;
}

int WorkerPool::CountRunning(const std::string& platform, RunMode mode) const {
  const std::map<std::string, int>& counts =
      mode == RunMode::kNative ? native_count_ : emulated_count_;
  auto it = counts.find(platform);
  return it == counts.end() ? 0 : it->second;
}

std::string WorkerPool::DescribePlatforms() const {
  std::string out;
  for (const auto& [counts, how] : {std::pair{&native_count_, "native"},
                                    std::pair{&emulated_count_, "emulated"}}) {
    for (const auto& [platform, n] : *counts) {
      if (n <= 0) continue;
      absl::StrAppend(&out, out.empty() ? "" : ", ", platform, " (", how, ")");
    }
  }
  return out.empty() ? "nothing" : out;
}

bool WorkerPool::IsFree(const WorkerState& worker) {
  return !worker.draining && !worker.disk_full &&
         static_cast<int>(worker.running.size()) < worker.slots;
}

void WorkerPool::Unlist(WorkerState& worker) {
  if (IsFree(worker)) {
    free_.erase(
        {static_cast<int>(worker.running.size()), worker.slots, &worker});
  }
}

void WorkerPool::List(WorkerState& worker) {
  if (IsFree(worker)) {
    free_.insert(
        {static_cast<int>(worker.running.size()), worker.slots, &worker});
  }
}

void WorkerPool::AddLayer(WorkerState& worker, const std::string& diff_id) {
  if (worker.layers.insert(diff_id).second) holders_[diff_id].insert(&worker);
}

void WorkerPool::RemoveLayer(WorkerState& worker, const std::string& diff_id) {
  if (worker.layers.erase(diff_id) == 0) return;
  auto holders = holders_.find(diff_id);
  if (holders == holders_.end()) return;
  holders->second.erase(&worker);
  if (holders->second.empty()) holders_.erase(holders);
}

WorkerState& WorkerPool::Join(const proto::RegisterWorker& reg,
                              absl::Time now) {
  Remove(reg.worker_id());
  WorkerState& worker = workers_[reg.worker_id()];
  worker.id = reg.worker_id();
  worker.slots = std::max(1, reg.slots());
  worker.cached_bytes = reg.cached_bytes();
  worker.disk_full = reg.disk_full();
  worker.disk_free_bytes = reg.disk_free_bytes();
  worker.last_heartbeat = now;
  worker.native.assign(reg.native_platforms().begin(),
                       reg.native_platforms().end());
  worker.emulated.assign(reg.emulated_platforms().begin(),
                         reg.emulated_platforms().end());
  if (worker.native.empty() && worker.emulated.empty()) {
    worker.native.push_back("linux/amd64");
  }
  CountPlatforms(worker, +1);
  ++membership_;
  for (const std::string& diff_id : reg.layers()) AddLayer(worker, diff_id);
  List(worker);
  return worker;
}

WorkerState* WorkerPool::Find(const std::string& id) {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

void WorkerPool::Remove(const std::string& id) {
  auto it = workers_.find(id);
  if (it == workers_.end()) return;
  WorkerState& worker = it->second;
  Unlist(worker);
  CountPlatforms(worker, -1);
  ++membership_;
  for (const std::string& diff_id : worker.layers) {
    auto holders = holders_.find(diff_id);
    if (holders == holders_.end()) continue;
    holders->second.erase(&worker);
    if (holders->second.empty()) holders_.erase(holders);
  }
  workers_.erase(it);
}

void WorkerPool::Heartbeat(WorkerState& worker, const proto::Heartbeat& beat,
                           absl::Time now) {
  Unlist(worker);
  worker.last_heartbeat = now;
  worker.cached_bytes = beat.cached_bytes();
  if (worker.draining != beat.draining()) ++membership_;
  worker.draining = beat.draining();
  worker.disk_full = beat.disk_full();
  worker.disk_free_bytes = beat.disk_free_bytes();
  for (const std::string& diff_id : beat.layers_added()) {
    AddLayer(worker, diff_id);
  }
  for (const std::string& diff_id : beat.layers_removed()) {
    RemoveLayer(worker, diff_id);
  }
  List(worker);
}

void WorkerPool::StartJob(WorkerState& worker, const std::string& job_id) {
  Unlist(worker);
  worker.running.insert(job_id);
  List(worker);
}

void WorkerPool::EndJob(WorkerState& worker, const std::string& job_id) {
  Unlist(worker);
  worker.running.erase(job_id);
  List(worker);
}

WorkerState* WorkerPool::Pick(const Layers& layers, const std::string& platform,
                              RunMode mode) const {
  if (free_.empty()) return nullptr;
  // Looking from the layers' side takes about this many steps.
  size_t holders = 0;
  for (const std::string& diff_id : layers) {
    auto it = holders_.find(diff_id);
    if (it != holders_.end()) holders += it->second.size();
  }
  // Least loaded first: the first worker that holds every layer wins
  // outright, and a pass over every free worker finds the best of them.
  WorkerState* best = nullptr;
  int best_overlap = -1;
  size_t steps = 0;
  for (const FreeKey& key : free_) {
    if (!Runs(*key.worker, platform, mode)) continue;
    if (steps++ == holders) return PickFromHolders(layers, platform, mode);
    const int overlap = Overlap(*key.worker, layers);
    if (overlap > best_overlap) {
      best = key.worker;
      best_overlap = overlap;
    }
    if (overlap == layers.size()) break;
  }
  return best;
}

WorkerState* WorkerPool::PickFromHolders(const Layers& layers,
                                         const std::string& platform,
                                         RunMode mode) const {
  WorkerState* best = nullptr;
  FreeKey best_key;
  int best_overlap = 0;
  for (const std::string& diff_id : layers) {
    auto holders = holders_.find(diff_id);
    if (holders == holders_.end()) continue;
    for (WorkerState* worker : holders->second) {
      if (worker == best || !IsFree(*worker) ||
          !Runs(*worker, platform, mode)) {
        continue;
      }
      const int overlap = Overlap(*worker, layers);
      const FreeKey key{static_cast<int>(worker->running.size()), worker->slots,
                        worker};
      if (overlap > best_overlap ||
          (overlap == best_overlap && LessLoaded()(key, best_key))) {
        best = worker;
        best_key = key;
        best_overlap = overlap;
      }
    }
  }
  if (best != nullptr) return best;
  // No free worker holds any of them: the least loaded that runs it.
  for (const FreeKey& key : free_) {
    if (Runs(*key.worker, platform, mode)) return key.worker;
  }
  return nullptr;
}

WorkerState* WorkerPool::Preferred(const Digest& affinity,
                                   const std::string& platform, RunMode mode) {
  Ranking& cached = rankings_[{platform, mode}];
  if (cached.membership != membership_) {
    std::vector<cache::CacheNode> nodes;
    cached.workers.clear();
    for (auto& [id, worker] : workers_) {
      if (worker.draining || !Runs(worker, platform, mode)) continue;
      nodes.push_back({id, 1.0});
      cached.workers.push_back(&worker);
    }
    cached.ranking = nodes.empty()
                         ? nullptr
                         : std::make_unique<cache::RendezvousRanking>(nodes);
    cached.membership = membership_;
  }
  if (cached.ranking == nullptr) return nullptr;
  return cached.workers[cached.ranking->Owner(affinity)];
}

}  // namespace farm::scheduler
