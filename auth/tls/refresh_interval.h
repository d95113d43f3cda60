// gRPC's certificate file watcher counts whole seconds; this rounds a
// Duration up to at least one.
#ifndef FARM_AUTH_TLS_REFRESH_INTERVAL_H_
#define FARM_AUTH_TLS_REFRESH_INTERVAL_H_

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"

namespace farm::auth {

inline unsigned int RefreshSeconds(absl::Duration refresh) {
  int64_t seconds = absl::ToInt64Seconds(absl::Ceil(refresh, absl::Seconds(1)));
  return static_cast<unsigned int>(
      std::clamp<int64_t>(seconds, 1, 24 * 60 * 60));
}

}  // namespace farm::auth

#endif  // FARM_AUTH_TLS_REFRESH_INTERVAL_H_
