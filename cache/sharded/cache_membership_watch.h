// CacheMembershipWatch: follows the cache nodes registered in etcd under
// PREFIX/cache-nodes/ and reports the whole live set each time it changes,
// so a scheduler's sharded cache tracks nodes as they come and go.
#ifndef FARM_CACHE_SHARDED_CACHE_MEMBERSHIP_WATCH_H_
#define FARM_CACHE_SHARDED_CACHE_MEMBERSHIP_WATCH_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/sharded/cache_nodes.h"
#include "common/etcd/etcd_client.h"

namespace farm::cache {

struct CacheMembershipWatchOptions {
  std::string prefix = "/farm";
  // Called on the watch's thread with every registered node (records that
  // do not parse are logged and left out), first once the initial read
  // succeeds, then after each change. Must not destroy the watch.
  std::function<void(std::vector<CacheNode>)> on_change;
  // Longest single watch call: how long Stop may wait for the thread.
  absl::Duration round = absl::Seconds(1);
  // Pause after an etcd error before reading again.
  absl::Duration retry = absl::Milliseconds(500);
};

class CacheMembershipWatch {
 public:
  // Reads the registered nodes once on the caller's thread (reporting them
  // through on_change), then follows changes on a thread. The first read
  // failing is logged, not returned: the thread keeps trying, and until
  // then on_change is not called. `client` must outlive the watch.
  static std::unique_ptr<CacheMembershipWatch> Start(
      etcd::EtcdClient* client, CacheMembershipWatchOptions options);
  // Stop().
  ~CacheMembershipWatch();

  // Ends the thread; on_change is not called afterwards. Idempotent.
  void Stop();

 private:
  CacheMembershipWatch(etcd::EtcdClient* client,
                       CacheMembershipWatchOptions options);
  // Reads every record and reports them; the revision to watch from.
  absl::StatusOr<int64_t> ReadAll();
  void Loop(int64_t revision);
  bool stopping() const;
  // Waits `d` or until Stop; true when stopping.
  bool Pause(absl::Duration d);

  etcd::EtcdClient* client_;
  const CacheMembershipWatchOptions options_;
  const std::string key_prefix_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_CACHE_MEMBERSHIP_WATCH_H_
