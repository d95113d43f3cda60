// ServingState: whether a farm server is ready for work. The gRPC health
// service reports it to Kubernetes' probes: not ready while the server
// starts (opening its stores) and once it drains, ready in between.
#ifndef FARM_HEALTH_SERVING_STATE_H_
#define FARM_HEALTH_SERVING_STATE_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace farm::health {

enum class Phase { kStarting, kServing, kDraining };

const char* PhaseName(Phase phase);

// Thread-safe. Any phase may follow any other (a drained worker that an
// admin lets back in serves again).
class ServingState {
 public:
  explicit ServingState(Phase initial = Phase::kStarting) : phase_(initial) {}

  void Set(Phase phase);
  Phase phase() const;
  bool serving() const { return phase() == Phase::kServing; }

  // Waits until the phase is no longer `seen` or `deadline` passes, and
  // returns the phase then.
  Phase AwaitChange(Phase seen, absl::Time deadline) const;

 private:
  mutable absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::health

#endif  // FARM_HEALTH_SERVING_STATE_H_
