#include "cache/sharded/sharded_cache_admin.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::cache {
namespace {

void AddStats(const CacheStats& from, CacheStats& to) {
  to.blob_count += from.blob_count;
  to.blob_bytes += from.blob_bytes;
  to.blob_hits += from.blob_hits;
  to.blob_misses += from.blob_misses;
  to.evictions += from.evictions;
  to.evicted_bytes += from.evicted_bytes;
  to.corrupt_blobs += from.corrupt_blobs;
  to.action_entries += from.action_entries;
  to.action_hits += from.action_hits;
  to.action_misses += from.action_misses;
  to.action_conflicts += from.action_conflicts;
  to.bytes_written += from.bytes_written;
  to.bytes_read += from.bytes_read;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShardedCacheAdmin>> ShardedCacheAdmin::Create(
    std::vector<CacheNode> nodes, std::vector<CacheAdmin*> admins,
    NodeHealth* health) {
  if (admins.size() != nodes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        admins.size(), " cache admins for ", nodes.size(), " cache nodes"));
  }
  ASSIGN_OR_RETURN(ShardRouter router,
                   ShardRouter::Create(std::move(nodes), health));
  return std::unique_ptr<ShardedCacheAdmin>(
      new ShardedCacheAdmin(std::move(router), std::move(admins)));
}

std::vector<absl::Status> ShardedCacheAdmin::OnEachNode(
    const std::function<absl::Status(size_t node)>& call) const {
  std::vector<absl::Status> statuses(router_.size());
  std::vector<std::function<void()>> tasks;
  for (size_t node = 0; node < router_.size(); ++node) {
    const absl::Time until = router_.health().DownUntil(node);
    if (until != absl::InfinitePast()) {
      statuses[node] = absl::UnavailableError(
          absl::StrCat("skipped until ", absl::FormatTime(until)));
      continue;
    }
    tasks.push_back([&, node] {
      statuses[node] = call(node);
      router_.NoteFailure(node, statuses[node]);
    });
  }
  RunConcurrently(std::move(tasks));
  return statuses;
}

absl::Status ShardedCacheAdmin::Outcome(
    absl::string_view what, const std::vector<absl::Status>& statuses,
    bool need_all) const {
  std::vector<std::string> down;
  for (size_t node = 0; node < statuses.size(); ++node) {
    const absl::Status& status = statuses[node];
    if (IsNodeFailure(status)) {
      down.push_back(
          absl::StrCat(router_.address(node), " (", status.ToString(), ")"));
    } else if (!status.ok()) {
      return Annotate(
          status, absl::StrCat(what, " on cache node ", router_.address(node)));
    }
  }
  if (down.empty()) return absl::OkStatus();
  if (down.size() == statuses.size() || need_all) {
    return absl::UnavailableError(absl::StrCat(
        what, ": cache nodes did not answer: ", absl::StrJoin(down, ", ")));
  }
  FARM_LOG(WARNING) << what << ": left out cache nodes that are down: "
                    << absl::StrJoin(down, ", ");
  return absl::OkStatus();
}

absl::StatusOr<CacheStats> ShardedCacheAdmin::Stats() {
  std::vector<CacheStats> each(router_.size());
  std::vector<absl::Status> statuses = OnEachNode([&](size_t node) {
    ASSIGN_OR_RETURN(each[node], admins_[node]->Stats());
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(Outcome("reading cache stats", statuses, false));
  CacheStats total;
  bool unbounded = false;
  for (size_t node = 0; node < each.size(); ++node) {
    if (!statuses[node].ok()) continue;
    AddStats(each[node], total);
    unbounded = unbounded || each[node].max_bytes == 0;
    total.max_bytes += each[node].max_bytes;
  }
  if (unbounded) total.max_bytes = 0;
  return total;
}

absl::StatusOr<PruneResult> ShardedCacheAdmin::Prune(
    const PruneOptions& options) {
  double total_weight = 0;
  for (size_t node = 0; node < router_.size(); ++node) {
    total_weight += router_.ranking().node(node).weight;
  }
  std::vector<PruneResult> each(router_.size());
  std::vector<absl::Status> statuses = OnEachNode([&](size_t node) {
    PruneOptions share = options;
    share.target_bytes = static_cast<uint64_t>(
        static_cast<double>(options.target_bytes) *
        (router_.ranking().node(node).weight / total_weight));
    ASSIGN_OR_RETURN(each[node], admins_[node]->Prune(share));
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(Outcome("pruning the cache", statuses, false));
  PruneResult total;
  for (size_t node = 0; node < each.size(); ++node) {
    if (!statuses[node].ok()) continue;
    total.blobs_removed += each[node].blobs_removed;
    total.bytes_removed += each[node].bytes_removed;
    total.actions_removed += each[node].actions_removed;
  }
  return total;
}

absl::Status ShardedCacheAdmin::SetPins(const std::string& owner,
                                        absl::flat_hash_set<Digest> digests) {
  return Outcome(absl::StrCat("setting the pins of ", owner),
                 OnEachNode([&](size_t node) {
                   return admins_[node]->SetPins(owner, digests);
                 }),
                 false);
}

absl::Status ShardedCacheAdmin::Delete(const std::vector<Digest>& digests) {
  return Outcome("deleting blobs", OnEachNode([&](size_t node) {
                   return admins_[node]->Delete(digests);
                 }),
                 true);
}

}  // namespace farm::cache
