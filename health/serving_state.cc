#include "health/serving_state.h"

namespace farm::health {

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kStarting:
      return "starting";
    case Phase::kServing:
      return "serving";
    case Phase::kDraining:
      return "draining";
  }
  return "unknown";
}

void ServingState::Set(Phase phase) {
  absl::MutexLock lock(&mu_);
  phase_ = phase;
}

Phase ServingState::phase() const {
  absl::MutexLock lock(&mu_);
  return phase_;
}

Phase ServingState::AwaitChange(Phase seen, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return phase_ != seen;
  };
  mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
  return phase_;
}

}  // namespace farm::health
