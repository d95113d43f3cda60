#include "cache/sharded/dynamic_sharded_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::cache {

DynamicShardedCache::DynamicShardedCache(DialNode dial, Clock* clock,
                                         std::string where,
                                         NodeHealth::Options health_options)
    : dial_(std::move(dial)),
      clock_(clock),
      where_(std::move(where)),
      health_options_(health_options),
      current_(*ShardedSnapshot::Build({}, nullptr, dial_, clock_)) {}

absl::Status DynamicShardedCache::SetNodes(std::vector<CacheNode> nodes) {
  absl::MutexLock update(&update_mu_);
  std::shared_ptr<const ShardedSnapshot> previous = current();
  if (previous->SameNodes(nodes)) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::shared_ptr<const ShardedSnapshot> next,
                   ShardedSnapshot::Build(std::move(nodes), previous.get(),
                                          dial_, clock_, health_options_));
  std::vector<std::string> names;
  for (const CacheNode& node : next->nodes()) {
    names.push_back(absl::StrCat(node.address, "=", node.weight));
  }
  FARM_LOG(INFO) << "cache nodes " << where_ << ": "
                 << (names.empty() ? "none" : absl::StrJoin(names, ","));
  absl::MutexLock lock(&mu_);
  current_ = std::move(next);
  return absl::OkStatus();
}

std::shared_ptr<const ShardedSnapshot> DynamicShardedCache::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::StatusOr<std::shared_ptr<const ShardedSnapshot>>
DynamicShardedCache::Acquire() const {
  std::shared_ptr<const ShardedSnapshot> s = current();
  if (s->empty()) {
    return absl::UnavailableError(
        absl::StrCat("no cache node is registered ", where_));
  }
  return s;
}

}  // namespace farm::cache
