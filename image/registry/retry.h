// Retry with exponential backoff for registry operations. Only kUnavailable
// is retried: the registry code maps connection failures, 429 and 5xx to it
// and nothing else. Sleeping goes through Sleeper so tests run instantly.
#ifndef FARM_IMAGE_REGISTRY_RETRY_H_
#define FARM_IMAGE_REGISTRY_RETRY_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace farm::image::registry {

struct RetryPolicy {
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(8);
  double multiplier = 2.0;
};

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Blocks the calling thread for `d`. Thread-safe.
  virtual void Sleep(absl::Duration d) = 0;
};

// absl::SleepFor. One shared instance.
Sleeper* RealSleeper();

// The pause after failed attempt `attempt` (1-based).
absl::Duration Backoff(const RetryPolicy& policy, int attempt);

// Runs `attempt` until it returns something other than kUnavailable or
// policy.max_attempts have run, sleeping Backoff() between tries. The last
// error is returned, noting the number of attempts when more than one ran.
absl::Status Retry(const RetryPolicy& policy, Sleeper& sleeper,
                   const std::function<absl::Status()>& attempt);

template <typename T>
absl::StatusOr<T> RetryOr(const RetryPolicy& policy, Sleeper& sleeper,
                          const std::function<absl::StatusOr<T>()>& attempt) {
  absl::StatusOr<T> result = absl::UnknownError("not run");
  absl::Status s = Retry(policy, sleeper, [&]() {
    result = attempt();
    return result.status();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_RETRY_H_
