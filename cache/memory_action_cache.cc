#include "cache/memory_action_cache.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache {

MemoryActionCache::MemoryActionCache(CacheCounters* counters) {
  if (counters == nullptr) {
    own_counters_ = std::make_unique<CacheCounters>();
    counters = own_counters_.get();
  }
  counters_ = counters;
}

absl::StatusOr<proto::ActionResult> MemoryActionCache::Get(const Digest& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    CacheCounters::Add(counters_->action_misses);
    return absl::NotFoundError(
        absl::StrCat("no action result for key ", key.ToString()));
  }
  CacheCounters::Add(counters_->action_hits);
  return it->second;
}

absl::Status MemoryActionCache::Update(const Digest& key,
                                       const proto::ActionResult& result) {
  RETURN_IF_ERROR(Annotate(ValidateActionResult(result),
                           absl::StrCat("action ", key.ToString())));
  absl::MutexLock lock(&mu_);
  entries_[key] = result;
  return absl::OkStatus();
}

size_t MemoryActionCache::size() {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

size_t MemoryActionCache::RemoveIf(
    const std::function<bool(const proto::ActionResult&)>& drop) {
  absl::MutexLock lock(&mu_);
  size_t removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (drop(it->second)) {
      entries_.erase(it++);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace farm::cache
