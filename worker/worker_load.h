// WorkerLoad: what a worker holds and runs at one moment, for its metrics
// (worker/worker_metrics.h); FarmWorker::Load() reports it.
#ifndef FARM_WORKER_WORKER_LOAD_H_
#define FARM_WORKER_WORKER_LOAD_H_

#include <cstdint>

namespace farm::worker {

struct WorkerLoad {
  int64_t slots = 0;
  int64_t busy_slots = 0;       // jobs running
  uint64_t snapshot_bytes = 0;  // unpacked layers held (the snapshot store)
  int64_t snapshot_layers = 0;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_WORKER_LOAD_H_
