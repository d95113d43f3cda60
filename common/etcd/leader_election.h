// LeaderElection: etcd's election recipe (clientv3/concurrency/election.go)
// for running several farm-schedulers with one leader. Each candidate puts
// PREFIX/<lease id hex> with its session's lease; the key with the lowest
// create_revision leads, the others each wait for the key just before
// theirs to go. A leader that dies or loses etcd loses its key with its
// lease, and writes made through its Fence fail from then on.
#ifndef FARM_COMMON_ETCD_LEADER_ELECTION_H_
#define FARM_COMMON_ETCD_LEADER_ELECTION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/etcd/etcd_client.h"
#include "common/etcd/fence.h"
#include "common/etcd/lease_session.h"

namespace farm::etcd {

struct LeaderElectionOptions {
  // How often a waiting Campaign checks for Resign() and a lost session
  // (it wakes at once when the key before it goes).
  absl::Duration poll = absl::Seconds(1);
};

// Thread-safe; one Campaign at a time.
class LeaderElection {
 public:
  // `session` must outlive the election. Keys go under `prefix` + "/".
  LeaderElection(LeaseSession* session, std::string prefix,
                 LeaderElectionOptions options = {});

  // Becomes a candidate with `value` (what followers learn from Leader(),
  // e.g. the gRPC address) and blocks until this candidate leads. Calling
  // it again while leading updates the value. Errors: kFailedPrecondition
  // when the session is no longer alive or a Campaign is running,
  // kAborted when the session was lost or Resign() was called while
  // waiting, kDeadlineExceeded at `deadline`; the candidate key is then
  // withdrawn. Other codes come from etcd.
  absl::Status Campaign(const std::string& value, absl::Time deadline);

  // Whether the last Campaign won and neither Resign(), a failed fence nor
  // the session's loss has ended it since. Local knowledge: writes must
  // still go through FencedTxn.
  bool IsLeader() const;

  // The fence to compare in this leader's writes; kFailedPrecondition
  // unless IsLeader().
  absl::StatusOr<Fence> fence() const;

  // etcd::FencedTxn with fence(); a fence that no longer holds also ends
  // IsLeader().
  absl::StatusOr<TxnResponse> FencedTxn(TxnRequest txn);

  // Withdraws the candidate key (if it is still this campaign's), so the
  // next candidate leads at once. Also ends a waiting Campaign (within
  // `poll`). The session stays; Campaign may be called again.
  absl::Status Resign();

 private:
  // Waits until no key under the prefix is older than ours (`rev`).
  absl::Status WaitForTurn(int64_t rev, absl::Time deadline);
  // kAborted when a waiting Campaign must stop.
  absl::Status CheckStillCandidate() const;

  LeaseSession* session_;
  EtcdClient& client_;
  const std::string prefix_;  // with the trailing "/"
  const std::string key_;     // prefix_ + lease id in hex
  const LeaderElectionOptions options_;
  mutable absl::Mutex mu_;
  int64_t rev_ ABSL_GUARDED_BY(mu_) = 0;  // our key's create_revision
  bool campaigning_ ABSL_GUARDED_BY(mu_) = false;
  bool resigned_ ABSL_GUARDED_BY(mu_) = false;
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
};

// The current leader's key and value under `prefix` (the key with the
// lowest create_revision), for followers and clients. kNotFound when there
// is no candidate.
absl::StatusOr<KeyValue> Leader(EtcdClient& client, const std::string& prefix);

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_LEADER_ELECTION_H_
