#include "cache/sharded/node_health.h"

#include <algorithm>

namespace farm::cache {

bool IsNodeFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

NodeHealth::NodeHealth(size_t node_count, Clock* clock, Options options)
    : size_(node_count),
      clock_(clock),
      options_(options),
      down_until_(node_count, absl::InfinitePast()) {}

bool NodeHealth::IsUp(size_t node) const {
  return DownUntil(node) == absl::InfinitePast();
}

absl::Time NodeHealth::DownUntil(size_t node) const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  return down_until_[node] > now ? down_until_[node] : absl::InfinitePast();
}

bool NodeHealth::MarkDown(size_t node) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  const bool was_up = down_until_[node] <= now;
  down_until_[node] =
      std::max(down_until_[node], now + options_.skip_after_failure);
  return was_up;
}

}  // namespace farm::cache
