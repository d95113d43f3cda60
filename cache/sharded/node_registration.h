// NodeRegistration: a farm-cache's entry in etcd. The node holds the key
// PREFIX/cache-nodes/ADDRESS under a lease it keeps alive, so schedulers
// see it while it lives and lose it a TTL after it dies or loses etcd;
// when the lease is lost, the node registers again once etcd answers.
#ifndef FARM_CACHE_SHARDED_NODE_REGISTRATION_H_
#define FARM_CACHE_SHARDED_NODE_REGISTRATION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/sharded/cache_nodes.h"
#include "common/etcd/etcd_client.h"
#include "common/etcd/lease_session.h"

namespace farm::cache {

struct NodeRegistrationOptions {
  std::string prefix = "/farm";
  // The address schedulers dial, and the node's weight.
  CacheNode node;
  int64_t ttl_seconds = 5;
  // Pause between attempts while etcd does not answer.
  absl::Duration retry = absl::Seconds(1);
};

// Thread-safe.
class NodeRegistration {
 public:
  // Registers on a thread of its own, retrying until it succeeds, and
  // again whenever the lease is lost. kInvalidArgument for an invalid
  // node. `client` must outlive the registration.
  static absl::StatusOr<std::unique_ptr<NodeRegistration>> Start(
      etcd::EtcdClient* client, NodeRegistrationOptions options);
  // Stop().
  ~NodeRegistration();

  const std::string& key() const { return key_; }
  // The lease the key is held under; 0 while not registered.
  int64_t lease() const;

  // Deregisters: revokes the lease, which deletes the key, and stops.
  // Idempotent. Errors: the revoke's (the key then lapses with the TTL).
  absl::Status Stop();
  // Stops renewing without revoking, so the key lapses after the TTL, as
  // when the process hangs (the lease is revoked only when this object is
  // destroyed, if it is still there). For tests and drills.
  void Abandon();

 private:
  NodeRegistration(etcd::EtcdClient* client, NodeRegistrationOptions options,
                   std::string key)
      : client_(client), options_(std::move(options)), key_(std::move(key)) {}

  void Loop();
  bool StopOrLost() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || lost_;
  }
  // One attempt: a lease and the key under it.
  absl::StatusOr<std::unique_ptr<etcd::LeaseSession>> Register();
  // Ends the thread; the session it held, if any.
  std::unique_ptr<etcd::LeaseSession> Join();

  etcd::EtcdClient* client_;
  const NodeRegistrationOptions options_;
  const std::string key_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<etcd::LeaseSession> session_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<etcd::LeaseSession> abandoned_ ABSL_GUARDED_BY(mu_);
  absl::Mutex join_mu_;
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_NODE_REGISTRATION_H_
