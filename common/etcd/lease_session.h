// LeaseSession: an etcd lease kept alive by a thread, as in etcd's
// clientv3/concurrency Session. Keys put with lease() vanish when the
// process dies or loses etcd for a TTL, which is what makes an election
// fail over; the session says when that has happened.
#ifndef FARM_COMMON_ETCD_LEASE_SESSION_H_
#define FARM_COMMON_ETCD_LEASE_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/etcd/etcd_client.h"

namespace farm::etcd {

struct LeaseSessionOptions {
  // A few seconds: how long a dead holder keeps its keys.
  int64_t ttl_seconds = 5;
  // Called once, on the keepalive thread, when the lease is lost: etcd says
  // it expired (or was revoked), or no keepalive succeeded before it would
  // have run out. Not called after Close() or StopKeepAlive(). Must not
  // destroy the session.
  std::function<void()> on_lost;
};

class LeaseSession {
 public:
  // Grants the lease and starts renewing it every TTL/3. `client` must
  // outlive the session.
  static absl::StatusOr<std::unique_ptr<LeaseSession>> Start(
      EtcdClient* client, LeaseSessionOptions options);
  // Close().
  ~LeaseSession();
  LeaseSession(const LeaseSession&) = delete;
  LeaseSession& operator=(const LeaseSession&) = delete;

  EtcdClient& client() const { return *client_; }
  int64_t lease() const { return lease_; }
  int64_t ttl_seconds() const { return ttl_seconds_; }

  // False once the lease is lost or closed, and as soon as the last
  // renewal's TTL has run out on the client's clock, even while a renewal
  // is still under way. Thread-safe.
  bool alive() const;

  // Stops renewing and revokes the lease, deleting its keys. Idempotent.
  absl::Status Close();
  // Stops renewing without revoking, so the lease runs out on its own, as
  // when the process hangs. For tests and drills.
  void StopKeepAlive();

 private:
  LeaseSession(EtcdClient* client, int64_t lease, int64_t ttl_seconds,
               absl::Time expires, std::function<void()> on_lost);
  enum class Renewal { kRenewed, kFailed, kGone };

  void KeepAliveLoop();
  Renewal Renew();
  void Join();

  EtcdClient* client_;
  const int64_t lease_;
  const int64_t ttl_seconds_;
  std::function<void()> on_lost_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // When etcd may drop the lease if no renewal gets through.
  absl::Time expires_ ABSL_GUARDED_BY(mu_);
  absl::Mutex join_mu_;
  std::thread keepalive_ ABSL_GUARDED_BY(join_mu_);
  std::thread::id keepalive_id_;  // set once in Start
};

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_LEASE_SESSION_H_
