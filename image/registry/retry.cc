#include "image/registry/retry.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace farm::image::registry {
namespace {

class RealSleeperImpl : public Sleeper {
 public:
  void Sleep(absl::Duration d) override { absl::SleepFor(d); }
};

}  // namespace

Sleeper* RealSleeper() {
  static Sleeper* sleeper = new RealSleeperImpl;
  return sleeper;
}

absl::Duration Backoff(const RetryPolicy& policy, int attempt) {
  absl::Duration d =
      policy.initial_backoff * std::pow(policy.multiplier, attempt - 1);
  return std::min(d, policy.max_backoff);
}

absl::Status Retry(const RetryPolicy& policy, Sleeper& sleeper,
                   const std::function<absl::Status()>& attempt) {
  int attempts = std::max(1, policy.max_attempts);
  absl::Status last;
  for (int i = 1; i <= attempts; ++i) {
    last = attempt();
    if (!absl::IsUnavailable(last)) return last;
    if (i < attempts) sleeper.Sleep(Backoff(policy, i));
  }
  if (attempts == 1) return last;
  return absl::Status(
      last.code(),
      absl::StrCat(last.message(), " (gave up after ", attempts, " attempts)"));
}

}  // namespace farm::image::registry
