#include "cache/sharded/sharded_action_cache.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<std::unique_ptr<ShardedActionCache>> ShardedActionCache::Create(
    std::vector<CacheNode> nodes, std::vector<ActionCache*> caches,
    NodeHealth* health) {
  if (caches.size() != nodes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        caches.size(), " action caches for ", nodes.size(), " cache nodes"));
  }
  ASSIGN_OR_RETURN(ShardRouter router,
                   ShardRouter::Create(std::move(nodes), health));
  return std::unique_ptr<ShardedActionCache>(
      new ShardedActionCache(std::move(router), std::move(caches)));
}

absl::StatusOr<proto::ActionResult> ShardedActionCache::Get(const Digest& key) {
  return router_.FirstAnswer<absl::StatusOr<proto::ActionResult>>(
      key, "looking up action",
      [&](size_t node) { return caches_[node]->Get(key); });
}

std::vector<absl::StatusOr<proto::ActionResult>> ShardedActionCache::GetMany(
    absl::Span<const Digest> keys) {
  return router_.Batched<absl::StatusOr<proto::ActionResult>>(
      keys, "looking up action",
      [this](size_t node, absl::Span<const Digest> group) {
        return caches_[node]->GetMany(group);
      });
}

absl::Status ShardedActionCache::Update(const Digest& key,
                                        const proto::ActionResult& result) {
  return router_.FirstAnswer<absl::Status>(
      key, "storing action",
      [&](size_t node) { return caches_[node]->Update(key, result); });
}

}  // namespace farm::cache
