// ShardRouter: sends a call about a digest to the first live node of that
// digest's ranking and, when the node does not answer, on to the next one.
// Each node reads through to the shared object store, so any node can give
// any answer; the ranking only decides whose copy is used. The sharded
// blob store, action cache and admin are thin layers over this.
#ifndef FARM_CACHE_SHARDED_SHARD_ROUTER_H_
#define FARM_CACHE_SHARDED_SHARD_ROUTER_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cache/sharded/cache_nodes.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/rendezvous.h"
#include "common/digest.h"

namespace farm::cache {

class ShardRouter;

// Walks one key's ranking for one call: the nodes that are not being
// skipped, best first, and why each other node was passed over, for the
// error when none answers. Not thread-safe.
class RankCursor {
 public:
  // `router` must outlive the cursor.
  RankCursor(const ShardRouter& router, const Digest& key);

  // The next node that is not being skipped; nullopt when none is left.
  std::optional<size_t> Next();
  // Takes `node`'s status. A node failure (IsNodeFailure) marks the node
  // down and returns true: go on to Next(). Anything else is the node's
  // answer: false.
  bool NodeFailed(size_t node, const absl::Status& status);
  // kUnavailable naming every node of the ranking and why it was passed
  // over: "<what> sha256:...: no cache node answered: a:1 (UNAVAILABLE:
  // ...), b:2 (skipped until ...)".
  absl::Status Exhausted(absl::string_view what) const;

 private:
  const ShardRouter* router_;
  Digest key_;
  std::vector<size_t> order_;
  size_t next_ = 0;
  std::vector<std::string> passed_;
};

// Immutable but for the shared NodeHealth, so thread-safe.
class ShardRouter {
 public:
  // kInvalidArgument when `nodes` fail ValidateCacheNodes or `health` was
  // made for another number of nodes. `health` is not owned and must
  // outlive the router.
  static absl::StatusOr<ShardRouter> Create(std::vector<CacheNode> nodes,
                                            NodeHealth* health);

  size_t size() const { return ranking_.size(); }
  const std::string& address(size_t node) const {
    return ranking_.node(node).address;
  }
  const RendezvousRanking& ranking() const { return ranking_; }
  NodeHealth& health() const { return *health_; }

  // For `status` from `node`: a node failure marks the node down (logged
  // when it was up) and returns true.
  bool NoteFailure(size_t node, const absl::Status& status) const;

  // Calls `call(node)` on the live nodes of `key`'s ranking in turn until
  // one answers with anything but a node failure, and returns that answer;
  // when none does, RankCursor::Exhausted(what). `Result` is absl::Status
  // or absl::StatusOr<T>.
  template <typename Result, typename Call>
  Result FirstAnswer(const Digest& key, absl::string_view what,
                     Call call) const;

  // For batch calls (FindMissing, GetMany, GetSmall): groups `keys` by
  // their first live node and makes one `call(node, group)` per node, the
  // calls running concurrently; `call` returns one Result per key of its
  // group, in order. A key whose Result is a node failure goes to its next
  // live node in another round. Returns one Result per key, in key order.
  template <typename Result, typename Call>
  std::vector<Result> Batched(absl::Span<const Digest> keys,
                              absl::string_view what, Call call) const;

 private:
  ShardRouter(RendezvousRanking ranking, NodeHealth* health)
      : ranking_(std::move(ranking)), health_(health) {}

  RendezvousRanking ranking_;
  NodeHealth* health_;
};

// Runs the tasks at once, each on a thread of its own but the last, which
// runs on the caller's; returns when all have finished. Batches go to a
// handful of nodes, so a thread per call is cheap enough.
void RunConcurrently(std::vector<std::function<void()>> tasks);

namespace shard_router_internal {
inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}
}  // namespace shard_router_internal

template <typename Result, typename Call>
Result ShardRouter::FirstAnswer(const Digest& key, absl::string_view what,
                                Call call) const {
  RankCursor cursor(*this, key);
  while (std::optional<size_t> node = cursor.Next()) {
    Result result = call(*node);
    if (!cursor.NodeFailed(*node, shard_router_internal::StatusOf(result))) {
      return result;
    }
  }
  return cursor.Exhausted(what);
}

template <typename Result, typename Call>
std::vector<Result> ShardRouter::Batched(absl::Span<const Digest> keys,
                                         absl::string_view what,
                                         Call call) const {
  std::vector<std::optional<Result>> results(keys.size());
  std::vector<RankCursor> cursors;
  cursors.reserve(keys.size());
  std::vector<size_t> pending;
  for (size_t i = 0; i < keys.size(); ++i) {
    cursors.emplace_back(*this, keys[i]);
    pending.push_back(i);
  }
  while (!pending.empty()) {
    std::vector<std::vector<size_t>> groups(size());
    for (size_t i : pending) {
      std::optional<size_t> node = cursors[i].Next();
      if (node.has_value()) {
        groups[*node].push_back(i);
      } else {
        results[i].emplace(cursors[i].Exhausted(what));
      }
    }
    // Each task touches only its own group's cursors, results and retries.
    std::vector<std::vector<size_t>> retries(size());
    std::vector<std::function<void()>> tasks;
    for (size_t node = 0; node < groups.size(); ++node) {
      if (groups[node].empty()) continue;
      tasks.push_back([&, node] {
        const std::vector<size_t>& group = groups[node];
        std::vector<Digest> group_keys;
        group_keys.reserve(group.size());
        for (size_t i : group) group_keys.push_back(keys[i]);
        std::vector<Result> answers =
            call(node, absl::MakeConstSpan(group_keys));
        if (answers.size() != group.size()) {
          answers.assign(group.size(), Result(absl::InternalError(
                                           "a node's batch answer does not "
                                           "match its question")));
        }
        for (size_t j = 0; j < group.size(); ++j) {
          const size_t i = group[j];
          if (cursors[i].NodeFailed(
                  node, shard_router_internal::StatusOf(answers[j]))) {
            retries[node].push_back(i);
          } else {
            results[i].emplace(std::move(answers[j]));
          }
        }
      });
    }
    RunConcurrently(std::move(tasks));
    pending.clear();
    for (const std::vector<size_t>& retry : retries) {
      pending.insert(pending.end(), retry.begin(), retry.end());
    }
  }
  std::vector<Result> out;
  out.reserve(results.size());
  for (std::optional<Result>& result : results)
    out.push_back(std::move(*result));
  return out;
}

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_SHARD_ROUTER_H_
