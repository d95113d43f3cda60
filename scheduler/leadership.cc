#include "scheduler/leadership.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/registry/curl_transport.h"

namespace farm::scheduler {

namespace {

std::string ElectionPrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "/scheduler-leader");
}

}  // namespace

absl::StatusOr<std::unique_ptr<SchedulerLeadership>> SchedulerLeadership::Join(
    LeadershipOptions options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("--etcd names no endpoint");
  }
  std::unique_ptr<SchedulerLeadership> l(
      new SchedulerLeadership(std::move(options)));
  image::registry::CurlTransportOptions transport;
  transport.connect_timeout = absl::Seconds(2);
  transport.stall_timeout = absl::Seconds(10);
  l->transport_ = std::make_unique<image::registry::CurlTransport>(transport);
  etcd::EtcdClientOptions client;
  client.endpoints = l->options_.endpoints;
  l->client_ = std::make_unique<etcd::EtcdClient>(l->transport_.get(), client);
  etcd::LeaseSessionOptions lease;
  lease.ttl_seconds = l->options_.lease_seconds;
  absl::StatusOr<std::unique_ptr<etcd::LeaseSession>> session =
      etcd::LeaseSession::Start(l->client_.get(), std::move(lease));
  if (!session.ok()) {
    return absl::Status(
        session.status().code(),
        absl::StrCat("etcd at ", absl::StrJoin(l->options_.endpoints, ","),
                     ": ", session.status().message()));
  }
  l->session_ = *std::move(session);
  l->election_ = std::make_unique<etcd::LeaderElection>(
      l->session_.get(), ElectionPrefix(l->options_.prefix));
  return l;
}

SchedulerLeadership::~SchedulerLeadership() {
  Resign();
  if (watch_.joinable()) watch_.join();
}

absl::Status SchedulerLeadership::AwaitLead() {
  absl::Status won =
      election_->Campaign(options_.advertise, absl::InfiniteFuture());
  if (resigned_.HasBeenNotified()) {
    return absl::AbortedError("stopped before leading");
  }
  return won;
}

void SchedulerLeadership::Resign() {
  // A stop signal's thread and main both resign: one does it, and the other
  // waits until it is done.
  absl::MutexLock lock(&resign_mu_);
  if (resigned_.HasBeenNotified()) return;
  resigned_.Notify();
  absl::Status resigned = election_->Resign();
  if (!resigned.ok()) FARM_LOG(WARNING) << "resigning the lead: " << resigned;
  // Revoking the lease also deletes the key at once if Resign could not.
  absl::Status closed = session_->Close();
  if (!closed.ok()) FARM_LOG(WARNING) << "closing the etcd lease: " << closed;
}

void SchedulerLeadership::WatchLead(std::function<void()> lost) {
  watch_ = std::thread([this, lost = std::move(lost)] {
    while (!resigned_.WaitForNotificationWithTimeout(absl::Milliseconds(250))) {
      if (!election_->IsLeader() || !session_->alive()) {
        if (!resigned_.HasBeenNotified()) lost();
        return;
      }
    }
  });
}

FencedWriter SchedulerLeadership::fenced_writer() {
  etcd::LeaderElection* election = election_.get();
  return [election](etcd::TxnRequest txn) {
    return election->FencedTxn(std::move(txn));
  };
}

absl::StatusOr<std::string> CurrentLeader(etcd::EtcdClient& client,
                                          const std::string& prefix) {
  ASSIGN_OR_RETURN(etcd::KeyValue leader,
                   etcd::Leader(client, ElectionPrefix(prefix)));
  return leader.value;
}

}  // namespace farm::scheduler
