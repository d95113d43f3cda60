// For scheduler tests: the registration a worker sends when it connects.
#ifndef FARM_SCHEDULER_WORKER_REGISTRATION_TESTING_H_
#define FARM_SCHEDULER_WORKER_REGISTRATION_TESTING_H_

#include <string>
#include <vector>

#include "proto/worker.pb.h"

namespace farm::scheduler::testing {

// Worker `id` with `slots` slots, holding `layers` (diff_ids).
inline proto::RegisterWorker Worker(
    const std::string& id, int slots = 2,
    const std::vector<std::string>& layers = {}) {
  proto::RegisterWorker reg;
  reg.set_worker_id(id);
  reg.set_slots(slots);
  for (const std::string& layer : layers) reg.add_layers(layer);
  return reg;
}

// Worker `id` that runs `native` natively and `emulated` by emulation.
inline proto::RegisterWorker WorkerFor(
    const std::string& id, const std::vector<std::string>& native,
    const std::vector<std::string>& emulated = {}, int slots = 2) {
  proto::RegisterWorker reg = Worker(id, slots);
  for (const std::string& p : native) reg.add_native_platforms(p);
  for (const std::string& p : emulated) reg.add_emulated_platforms(p);
  return reg;
}

}  // namespace farm::scheduler::testing

#endif  // FARM_SCHEDULER_WORKER_REGISTRATION_TESTING_H_
