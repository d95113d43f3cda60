#include "cache/sharded/shard_router.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace farm::cache {

RankCursor::RankCursor(const ShardRouter& router, const Digest& key)
    : router_(&router), key_(key), order_(router.ranking().Rank(key)) {}

std::optional<size_t> RankCursor::Next() {
  while (next_ < order_.size()) {
    const size_t node = order_[next_++];
    const absl::Time until = router_->health().DownUntil(node);
    if (until == absl::InfinitePast()) return node;
    passed_.push_back(absl::StrCat(router_->address(node), " (skipped until ",
                                   absl::FormatTime(until), ")"));
  }
  return std::nullopt;
}

bool RankCursor::NodeFailed(size_t node, const absl::Status& status) {
  if (!router_->NoteFailure(node, status)) return false;
  passed_.push_back(
      absl::StrCat(router_->address(node), " (", status.ToString(), ")"));
  return true;
}

absl::Status RankCursor::Exhausted(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat(what, " ", key_.ToString(),
                   ": no cache node answered: ", absl::StrJoin(passed_, ", ")));
}

absl::StatusOr<ShardRouter> ShardRouter::Create(std::vector<CacheNode> nodes,
                                                NodeHealth* health) {
  absl::Status valid = ValidateCacheNodes(nodes);
  if (!valid.ok()) return valid;
  if (health->size() != nodes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node health is kept for ", health->size(), " nodes, but ",
                     nodes.size(), " are listed"));
  }
  return ShardRouter(RendezvousRanking(std::move(nodes)), health);
}

bool ShardRouter::NoteFailure(size_t node, const absl::Status& status) const {
  if (!IsNodeFailure(status)) return false;
  if (health_->MarkDown(node)) {
    FARM_LOG(WARNING) << "cache node " << address(node) << " did not answer ("
                      << status << "); skipping it for "
                      << absl::FormatDuration(health_->skip_after_failure());
  }
  return true;
}

void RunConcurrently(std::vector<std::function<void()>> tasks) {
  if (tasks.empty()) return;
  std::vector<std::thread> threads;
  threads.reserve(tasks.size() - 1);
  for (size_t i = 0; i + 1 < tasks.size(); ++i) {
    threads.emplace_back(std::move(tasks[i]));
  }
  tasks.back()();
  for (std::thread& thread : threads) thread.join();
}

}  // namespace farm::cache
