#include "cache/tiered/tiered_cache_admin.h"

#include "common/status_macros.h"

namespace farm::cache {

absl::Status TieredCacheAdmin::Delete(const std::vector<Digest>& digests) {
  RETURN_IF_ERROR(fast_->Delete(digests));
  for (const Digest& digest : digests) {
    RETURN_IF_ERROR(slow_->Delete(digest));
  }
  return absl::OkStatus();
}

}  // namespace farm::cache
