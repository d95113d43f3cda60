// NodeHealth: which cache nodes are being skipped, and until when. A node
// that fails to answer is skipped for a while, so calls do not each wait for
// it to time out; after that it is tried again. The sharded blob store,
// action cache and admin of one process share one, so a node that one of
// them finds down is skipped by all.
#ifndef FARM_CACHE_SHARDED_NODE_HEALTH_H_
#define FARM_CACHE_SHARDED_NODE_HEALTH_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace farm::cache {

// True for the codes that mean "this node did not answer" (kUnavailable,
// kDeadlineExceeded): the request may go to another node. Every other code
// is the node's answer and is passed on.
bool IsNodeFailure(const absl::Status& status);

// Thread-safe. Nodes are indices into the node list.
class NodeHealth {
 public:
  struct Options {
    // How long a failed node is skipped before it is tried again.
    absl::Duration skip_after_failure = absl::Seconds(5);
  };

  // `clock` is not owned and must outlive this object.
  NodeHealth(size_t node_count, Clock* clock, Options options);
  NodeHealth(size_t node_count, Clock* clock)
      : NodeHealth(node_count, clock, Options()) {}

  size_t size() const { return size_; }
  absl::Duration skip_after_failure() const {
    return options_.skip_after_failure;
  }

  // False while `node` is being skipped.
  bool IsUp(size_t node) const;
  // When `node` will be tried again; absl::InfinitePast() if it is up.
  absl::Time DownUntil(size_t node) const;
  // Skips `node` from now for skip_after_failure (extending a skip already
  // running). Returns true when the node was up, so callers log once.
  bool MarkDown(size_t node);

 private:
  const size_t size_;
  Clock* clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::vector<absl::Time> down_until_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_NODE_HEALTH_H_
