#include "worker/run_limits.h"

#include <algorithm>

namespace farm::worker {

executor::ResourceLimits FromProto(const proto::RunLimits& limits) {
  executor::ResourceLimits out;
  out.memory_bytes =
      static_cast<uint64_t>(std::max<int64_t>(0, limits.memory_bytes()));
  out.pids = std::max<int64_t>(0, limits.pids());
  out.cpus = std::max(0.0, limits.cpus());
  out.timeout = absl::Milliseconds(std::max<int64_t>(0, limits.timeout_ms()));
  out.disk_bytes =
      static_cast<uint64_t>(std::max<int64_t>(0, limits.disk_bytes()));
  return out;
}

proto::RunLimits ToProto(const executor::ResourceLimits& limits) {
  proto::RunLimits out;
  out.set_memory_bytes(static_cast<int64_t>(limits.memory_bytes));
  out.set_pids(limits.pids);
  out.set_cpus(limits.cpus);
  out.set_timeout_ms(absl::ToInt64Milliseconds(limits.timeout));
  out.set_disk_bytes(static_cast<int64_t>(limits.disk_bytes));
  return out;
}

}  // namespace farm::worker
