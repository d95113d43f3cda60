// FlakyNode: a MemoryCache seen through decorators that a test can switch
// off, so that every call fails with kUnavailable as a dead farm-cache's
// do, to test how the sharded cache fails over.
#ifndef FARM_CACHE_SHARDED_TESTING_FLAKY_NODE_H_
#define FARM_CACHE_SHARDED_TESTING_FLAKY_NODE_H_

#include <atomic>
#include <memory>
#include <string>

#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/memory_cache.h"

namespace farm::cache::testing {

// Thread-safe. Writers opened while the node was up fail at their next
// Write or Commit once it is down, as a stream to a dying server does.
class FlakyNode {
 public:
  // `cache` is not owned and must outlive the node; `name` goes into the
  // errors.
  FlakyNode(MemoryCache* cache, std::string name);
  ~FlakyNode();

  BlobStore* blobs();
  ActionCache* actions();
  CacheAdmin* admin();

  void SetDown(bool down) { state_->down = down; }

  // Batch calls that reached the cache (while up), to check grouping.
  int find_missing_calls() const { return state_->find_missing_calls; }
  int get_small_calls() const { return state_->get_small_calls; }
  int get_many_calls() const { return state_->get_many_calls; }
  // Every call made, up or down.
  int calls() const { return state_->calls; }

  struct State {
    std::string name;
    std::atomic<bool> down{false};
    std::atomic<int> find_missing_calls{0};
    std::atomic<int> get_small_calls{0};
    std::atomic<int> get_many_calls{0};
    std::atomic<int> calls{0};
    // OK while up, else kUnavailable; counts the call.
    absl::Status Check();
  };

 private:
  class Blobs;
  class Actions;
  class Admin;

  std::unique_ptr<State> state_;
  std::unique_ptr<Blobs> blobs_;
  std::unique_ptr<Actions> actions_;
  std::unique_ptr<Admin> admin_;
};

}  // namespace farm::cache::testing

#endif  // FARM_CACHE_SHARDED_TESTING_FLAKY_NODE_H_
