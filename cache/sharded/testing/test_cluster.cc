#include "cache/sharded/testing/test_cluster.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace farm::cache::testing {
namespace {

std::vector<CacheNode> ThreeNodes() {
  return {{"cache-a:7070", 1.0}, {"cache-b:7070", 1.0}, {"cache-c:7070", 1.0}};
}

template <typename T>
std::unique_ptr<T> OrDie(absl::StatusOr<std::unique_ptr<T>> made) {
  if (!made.ok()) {
    ADD_FAILURE() << made.status();
    return nullptr;
  }
  return std::move(*made);
}

}  // namespace

TestCluster::TestCluster(uint64_t max_bytes, Clock* clock,
                         ShardedBlobStore::Options options)
    : nodes_(ThreeNodes()),
      ranking_(nodes_),
      health_(kNodes, clock != nullptr ? clock : &clock_,
              NodeHealth::Options{kSkip}) {
  std::vector<BlobStore*> stores;
  std::vector<ActionCache*> actions;
  std::vector<CacheAdmin*> admins;
  for (size_t i = 0; i < kNodes; ++i) {
    caches_.push_back(std::make_unique<MemoryCache>(max_bytes));
    flaky_.push_back(
        std::make_unique<FlakyNode>(caches_.back().get(), nodes_[i].address));
    stores.push_back(flaky_.back()->blobs());
    actions.push_back(flaky_.back()->actions());
    admins.push_back(flaky_.back()->admin());
  }
  blobs_ = OrDie(ShardedBlobStore::Create(nodes_, stores, &health_, options));
  actions_ = OrDie(ShardedActionCache::Create(nodes_, actions, &health_));
  admin_ = OrDie(ShardedCacheAdmin::Create(nodes_, admins, &health_));
}

std::string TestCluster::DataOwnedBy(size_t node,
                                     const std::string& prefix) const {
  for (int i = 0;; ++i) {
    std::string data = absl::StrCat(prefix, " ", i);
    if (Owner(Digest::Of(data)) == node) return data;
  }
}

}  // namespace farm::cache::testing
