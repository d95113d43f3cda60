#include "common/etcd/leader_election.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::etcd {
namespace {

std::string KeyPrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "/");
}

// The key under `kvs` created last before `rev`, or null.
const KeyValue* Predecessor(const std::vector<KeyValue>& kvs, int64_t rev) {
  const KeyValue* best = nullptr;
  for (const KeyValue& kv : kvs) {
    if (kv.create_revision < rev &&
        (best == nullptr || kv.create_revision > best->create_revision)) {
      best = &kv;
    }
  }
  return best;
}

}  // namespace

LeaderElection::LeaderElection(LeaseSession* session, std::string prefix,
                               LeaderElectionOptions options)
    : session_(session),
      client_(session->client()),
      prefix_(KeyPrefix(prefix)),
      key_(absl::StrCat(prefix_, absl::Hex(session->lease()))),
      options_(options) {}

absl::Status LeaderElection::Campaign(const std::string& value,
                                      absl::Time deadline) {
  if (!session_->alive()) {
    return absl::FailedPreconditionError("etcd lease session is not alive");
  }
  {
    absl::MutexLock lock(&mu_);
    if (campaigning_) {
      return absl::FailedPreconditionError("a Campaign is already running");
    }
    campaigning_ = true;
    resigned_ = false;
  }
  // Create the key unless a retried or repeated Campaign made it already.
  TxnRequest txn;
  txn.compares = {Compare::Absent(key_)};
  txn.success = {Op::Put(key_, value, session_->lease())};
  txn.failure = {Op::Get(key_)};
  absl::StatusOr<TxnResponse> r = client_.Txn(txn);
  absl::Status s = r.status();
  int64_t rev = 0;
  if (s.ok() && r->succeeded) {
    rev = r->revision;
  } else if (s.ok() && r->ranges.size() == 1 && r->ranges[0].size() == 1) {
    const KeyValue& mine = r->ranges[0][0];
    rev = mine.create_revision;
    if (mine.value != value) {
      s = client_.Put(key_, value, session_->lease()).status();
    }
  } else if (s.ok()) {
    s = absl::AbortedError("election key vanished while campaigning");
  }
  {
    absl::MutexLock lock(&mu_);
    rev_ = rev;
  }
  if (s.ok()) s = WaitForTurn(rev, deadline);
  if (!s.ok()) {
    // Leave no key that would make this process leader later.
    if (rev != 0) Resign().IgnoreError();
    absl::MutexLock lock(&mu_);
    campaigning_ = false;
    return Annotate(s, absl::StrCat("campaigning for ", prefix_));
  }
  absl::MutexLock lock(&mu_);
  campaigning_ = false;
  leader_ = true;
  return absl::OkStatus();
}

absl::Status LeaderElection::CheckStillCandidate() const {
  absl::MutexLock lock(&mu_);
  if (resigned_) return absl::AbortedError("resigned");
  if (!session_->alive()) return absl::AbortedError("etcd lease lost");
  return absl::OkStatus();
}

absl::Status LeaderElection::WaitForTurn(int64_t rev, absl::Time deadline) {
  for (;;) {
    RETURN_IF_ERROR(CheckStillCandidate());
    absl::Time now = client_.clock().Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError("not leader before the deadline");
    }
    ASSIGN_OR_RETURN(RangeResponse all, client_.GetPrefix(prefix_));
    bool mine = std::any_of(all.kvs.begin(), all.kvs.end(), [&](auto& kv) {
      return kv.key == key_ && kv.create_revision == rev;
    });
    if (!mine) return absl::AbortedError(absl::StrCat(key_, " is gone"));
    const KeyValue* before = Predecessor(all.kvs, rev);
    if (before == nullptr) return absl::OkStatus();
    // Any change (or a quiet poll) sends us back to read the prefix again.
    absl::Status s = client_
                         .Watch(before->key, /*prefix=*/false, all.revision + 1,
                                std::min(deadline, now + options_.poll))
                         .status();
    if (!s.ok() && !absl::IsDeadlineExceeded(s) && !absl::IsOutOfRange(s)) {
      return s;
    }
  }
}

bool LeaderElection::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leader_ && session_->alive();
}

absl::StatusOr<Fence> LeaderElection::fence() const {
  absl::MutexLock lock(&mu_);
  if (!leader_ || !session_->alive()) {
    return absl::FailedPreconditionError(
        absl::StrCat("not the leader of ", prefix_));
  }
  return Fence{key_, rev_};
}

absl::StatusOr<TxnResponse> LeaderElection::FencedTxn(TxnRequest txn) {
  ASSIGN_OR_RETURN(Fence f, fence());
  absl::StatusOr<TxnResponse> r = etcd::FencedTxn(client_, f, std::move(txn));
  if (absl::IsFailedPrecondition(r.status())) {
    absl::MutexLock lock(&mu_);
    if (rev_ == f.create_revision) leader_ = false;
  }
  return r;
}

absl::Status LeaderElection::Resign() {
  int64_t rev;
  {
    absl::MutexLock lock(&mu_);
    rev = rev_;
    leader_ = false;
    resigned_ = campaigning_;
    rev_ = 0;
  }
  if (rev == 0) return absl::OkStatus();
  TxnRequest txn;
  txn.compares = {Compare::CreateRevisionEquals(key_, rev)};
  txn.success = {Op::Delete(key_)};
  return Annotate(client_.Txn(txn).status(), absl::StrCat("resigning ", key_));
}

absl::StatusOr<KeyValue> Leader(EtcdClient& client, const std::string& prefix) {
  ASSIGN_OR_RETURN(RangeResponse all, client.GetPrefix(KeyPrefix(prefix)));
  auto first = std::min_element(all.kvs.begin(), all.kvs.end(),
                                [](const auto& a, const auto& b) {
                                  return a.create_revision < b.create_revision;
                                });
  if (first == all.kvs.end()) {
    return absl::NotFoundError(absl::StrCat("no leader under ", prefix));
  }
  return *first;
}

}  // namespace farm::etcd
