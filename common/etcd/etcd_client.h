// EtcdClient: etcd v3 through its JSON gateway over an HttpTransport.
// Debian ships neither etcd's .proto files nor a C++ client, and the gateway
// is a stable part of etcd 3.4, so farm speaks plain HTTP/JSON to it.
#ifndef FARM_COMMON_ETCD_ETCD_CLIENT_H_
#define FARM_COMMON_ETCD_ETCD_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/etcd/etcd_types.h"
#include "image/registry/http.h"

namespace farm::etcd {

struct EtcdClientOptions {
  // Client URLs of the members, e.g. "http://127.0.0.1:2379".
  std::vector<std::string> endpoints;
  // A call's budget over every member and retry.
  absl::Duration request_timeout = absl::Seconds(5);
  // One member's try, sent as Grpc-Timeout: a member that lost its raft
  // leader holds a proposal until this runs out, then the next one is
  // tried. A member that hangs outright is left to the transport's stall
  // timeout.
  absl::Duration attempt_timeout = absl::Seconds(2);
  // Longest single /v3/watch stream; Watch opens another until its deadline.
  // Keep it under the transport's stall timeout.
  absl::Duration watch_round = absl::Seconds(5);
  const Clock* clock = RealClock::Get();
};

// "http://a:2379,http://b:2379" → its URLs, without empties or a trailing /.
std::vector<std::string> SplitEndpoints(absl::string_view csv);

// Every call tries the member that answered last, and on a network failure,
// kUnavailable from etcd ("no leader") or an attempt timeout moves on to the
// next one, in rounds, until request_timeout; then kUnavailable. So a write
// that got no answer may be applied twice, or applied and reported as
// failed: make writes compare-and-set (Txn) where that matters. Other
// errors are etcd's own gRPC code (kNotFound for an unknown lease,
// kInvalidArgument, ...).
// Thread-safe.
class EtcdClient {
 public:
  // `transport` is not owned and must outlive the client.
  EtcdClient(image::registry::HttpTransport* transport,
             EtcdClientOptions options);

  // kNotFound when `key` does not exist.
  absl::StatusOr<KeyValue> Get(const std::string& key);
  // Every key starting with `prefix`, sorted by key.
  absl::StatusOr<RangeResponse> GetPrefix(const std::string& prefix);
  // Returns the store's revision after the put. `lease` 0: no lease.
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                              int64_t lease = 0);
  // Returns how many keys were deleted (0 or 1).
  absl::StatusOr<int64_t> Delete(const std::string& key);
  // A failed compare is a response with succeeded == false, not an error.
  absl::StatusOr<TxnResponse> Txn(const TxnRequest& txn);

  // Returns the lease ID. etcd may raise a TTL below its minimum.
  absl::StatusOr<int64_t> LeaseGrant(int64_t ttl_seconds);
  // Renews the lease; returns its new TTL in seconds, 0 when it has expired
  // (or was revoked).
  absl::StatusOr<int64_t> LeaseKeepAliveOnce(int64_t id);
  // Deletes the lease and every key attached to it. kNotFound if unknown.
  absl::Status LeaseRevoke(int64_t id);

  // Waits for changes to `key` (or every key under it with `prefix`) at or
  // after `start_revision` (0: from now) and returns the first batch of
  // events. kDeadlineExceeded at `deadline`; kOutOfRange when
  // start_revision was compacted away (read again, then watch).
  absl::StatusOr<std::vector<WatchEvent>> Watch(const std::string& key,
                                                bool prefix,
                                                int64_t start_revision,
                                                absl::Time deadline);

  const Clock& clock() const { return *options_.clock; }

 private:
  using Attempt = absl::FunctionRef<absl::Status(const std::string& endpoint,
                                                 absl::Duration timeout)>;
  // Runs `attempt` on the member that answered last, then on the others
  // while it fails with kUnavailable or kDeadlineExceeded.
  absl::Status TryMembers(Attempt attempt);
  // POSTs `body` to `path`, failing over; the body of a 2xx answer.
  absl::StatusOr<std::string> Call(absl::string_view path,
                                   const std::string& body);
  // One watch stream of at most `timeout` on one member; no events when
  // the round ended quietly. Stores the revision the watch began at.
  absl::StatusOr<std::vector<WatchEvent>> WatchOnce(const std::string& endpoint,
                                                    const std::string& body,
                                                    absl::Duration timeout,
                                                    int64_t* created_revision);
  size_t current() const;
  void SetCurrent(size_t i);

  image::registry::HttpTransport* transport_;
  EtcdClientOptions options_;
  mutable absl::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_ETCD_CLIENT_H_
