#include "scheduler/scheduler_observer.h"

namespace farm::scheduler {

const char* BuildOutcomeName(BuildOutcome outcome) {
  switch (outcome) {
    case BuildOutcome::kSucceeded:
      return "succeeded";
    case BuildOutcome::kFailed:
      return "failed";
    case BuildOutcome::kCancelled:
      return "cancelled";
  }
  return "failed";
}

}  // namespace farm::scheduler
