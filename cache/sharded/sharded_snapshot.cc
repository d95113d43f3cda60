#include "cache/sharded/sharded_snapshot.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<std::shared_ptr<const ShardedSnapshot>> ShardedSnapshot::Build(
    std::vector<CacheNode> nodes, const ShardedSnapshot* previous,
    const DialNode& dial, Clock* clock, NodeHealth::Options health_options) {
  std::shared_ptr<ShardedSnapshot> s(new ShardedSnapshot);
  if (nodes.empty()) return s;
  RETURN_IF_ERROR(ValidateCacheNodes(nodes));
  std::sort(nodes.begin(), nodes.end(),
            [](const CacheNode& a, const CacheNode& b) {
              return a.address < b.address;
            });
  s->health_ =
      std::make_unique<NodeHealth>(nodes.size(), clock, health_options);
  std::vector<BlobStore*> blobs;
  std::vector<ActionCache*> actions;
  std::vector<CacheAdmin*> admins;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const CacheNode& node = nodes[i];
    std::shared_ptr<NodeClients> clients;
    if (previous != nullptr) {
      auto old = previous->index_.find(node.address);
      if (old != previous->index_.end()) {
        clients = previous->clients_[old->second];
        if (!previous->health_->IsUp(old->second)) s->health_->MarkDown(i);
      }
    }
    if (clients == nullptr) {
      ASSIGN_OR_RETURN(clients, dial(node));
    }
    blobs.push_back(clients->blobs());
    actions.push_back(clients->actions());
    admins.push_back(clients->admin());
    s->clients_.push_back(std::move(clients));
    s->index_[node.address] = i;
  }
  ASSIGN_OR_RETURN(s->blobs_,
                   ShardedBlobStore::Create(nodes, blobs, s->health_.get()));
  ASSIGN_OR_RETURN(s->actions_, ShardedActionCache::Create(nodes, actions,
                                                           s->health_.get()));
  ASSIGN_OR_RETURN(s->admin_,
                   ShardedCacheAdmin::Create(nodes, admins, s->health_.get()));
  s->nodes_ = std::move(nodes);
  return s;
}

bool ShardedSnapshot::SameNodes(const std::vector<CacheNode>& nodes) const {
  if (nodes.size() != nodes_.size()) return false;
  for (const CacheNode& node : nodes) {
    auto it = index_.find(node.address);
    if (it == index_.end() || nodes_[it->second].weight != node.weight) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<NodeClients> ShardedSnapshot::clients(
    const std::string& address) const {
  auto it = index_.find(address);
  return it == index_.end() ? nullptr : clients_[it->second];
}

}  // namespace farm::cache
