#include "cache/sharded/cache_membership_watch.h"

#include <utility>

#include "cache/sharded/etcd_cache_layout.h"
#include "common/logging.h"

namespace farm::cache {

std::unique_ptr<CacheMembershipWatch> CacheMembershipWatch::Start(
    etcd::EtcdClient* client, CacheMembershipWatchOptions options) {
  std::unique_ptr<CacheMembershipWatch> w(
      new CacheMembershipWatch(client, std::move(options)));
  absl::StatusOr<int64_t> revision = w->ReadAll();
  if (!revision.ok()) {
    FARM_LOG(WARNING) << "reading the cache nodes under " << w->key_prefix_
                      << ": " << revision.status();
  }
  w->thread_ = std::thread(
      [p = w.get(), from = revision.value_or(0)] { p->Loop(from); });
  return w;
}

CacheMembershipWatch::CacheMembershipWatch(etcd::EtcdClient* client,
                                           CacheMembershipWatchOptions options)
    : client_(client),
      options_(std::move(options)),
      key_prefix_(CacheNodesKeyPrefix(options_.prefix)) {}

CacheMembershipWatch::~CacheMembershipWatch() { Stop(); }

void CacheMembershipWatch::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool CacheMembershipWatch::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool CacheMembershipWatch::Pause(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  return client_->clock().AwaitWithDeadline(&mu_, absl::Condition(&stop_),
                                            client_->clock().Now() + d);
}

absl::StatusOr<int64_t> CacheMembershipWatch::ReadAll() {
  absl::StatusOr<etcd::RangeResponse> range = client_->GetPrefix(key_prefix_);
  if (!range.ok()) return range.status();
  std::vector<CacheNode> nodes;
  for (const etcd::KeyValue& kv : range->kvs) {
    absl::StatusOr<CacheNode> node = DecodeCacheNode(kv.value);
    if (node.ok()) {
      nodes.push_back(*std::move(node));
    } else {
      FARM_LOG(WARNING) << "ignoring " << kv.key << ": " << node.status();
    }
  }
  if (!stopping()) options_.on_change(std::move(nodes));
  return range->revision;
}

void CacheMembershipWatch::Loop(int64_t revision) {
  // revision 0: the last read failed, so read before watching.
  while (!stopping()) {
    if (revision == 0) {
      absl::StatusOr<int64_t> read = ReadAll();
      if (!read.ok()) {
        FARM_LOG(WARNING) << "reading the cache nodes under " << key_prefix_
                          << ": " << read.status();
        if (Pause(options_.retry)) return;
        continue;
      }
      revision = *read;
    }
    absl::StatusOr<std::vector<etcd::WatchEvent>> events =
        client_->Watch(key_prefix_, /*prefix=*/true, revision + 1,
                       client_->clock().Now() + options_.round);
    if (events.ok()) {
      // Reading the whole set again is simpler than applying events, and
      // membership changes are rare.
      revision = 0;
    } else if (!absl::IsDeadlineExceeded(events.status())) {
      FARM_LOG(WARNING) << "watching " << key_prefix_ << ": "
                        << events.status();
      revision = 0;
      if (Pause(options_.retry)) return;
    }
  }
}

}  // namespace farm::cache
