#include "common/etcd/lease_session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::etcd {
namespace {

// After a failed renewal, try again this soon (bounded by TTL/3).
constexpr absl::Duration kRetry = absl::Milliseconds(200);

}  // namespace

absl::StatusOr<std::unique_ptr<LeaseSession>> LeaseSession::Start(
    EtcdClient* client, LeaseSessionOptions options) {
  absl::Time asked = client->clock().Now();
  ASSIGN_OR_RETURN(int64_t id, client->LeaseGrant(options.ttl_seconds));
  std::unique_ptr<LeaseSession> s(new LeaseSession(
      client, id, options.ttl_seconds,
      asked + absl::Seconds(options.ttl_seconds), std::move(options.on_lost)));
  {
    absl::MutexLock lock(&s->join_mu_);
    s->keepalive_ = std::thread([p = s.get()] { p->KeepAliveLoop(); });
    // The thread waits TTL/3 before it can get to on_lost and Join.
    s->keepalive_id_ = s->keepalive_.get_id();
  }
  return s;
}

LeaseSession::LeaseSession(EtcdClient* client, int64_t lease,
                           int64_t ttl_seconds, absl::Time expires,
                           std::function<void()> on_lost)
    : client_(client),
      lease_(lease),
      ttl_seconds_(ttl_seconds),
      on_lost_(std::move(on_lost)),
      expires_(expires) {}

LeaseSession::~LeaseSession() { Close().IgnoreError(); }

bool LeaseSession::alive() const {
  absl::MutexLock lock(&mu_);
  return !lost_ && !closed_ && client_->clock().Now() < expires_;
}

void LeaseSession::Join() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  // on_lost may Close() on the keepalive thread itself.
  if (std::this_thread::get_id() == keepalive_id_) return;
  absl::MutexLock lock(&join_mu_);  // Close and StopKeepAlive may race
  if (keepalive_.joinable()) keepalive_.join();
}

void LeaseSession::StopKeepAlive() { Join(); }

absl::Status LeaseSession::Close() {
  Join();
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    if (lost_) return absl::OkStatus();
  }
  absl::Status s = client_->LeaseRevoke(lease_);
  if (absl::IsNotFound(s)) return absl::OkStatus();  // expired already
  return Annotate(s, absl::StrCat("revoking etcd lease ", lease_));
}

LeaseSession::Renewal LeaseSession::Renew() {
  absl::Time sent = client_->clock().Now();
  absl::StatusOr<int64_t> ttl = client_->LeaseKeepAliveOnce(lease_);
  absl::MutexLock lock(&mu_);
  if (ttl.ok()) {
    if (*ttl == 0) return Renewal::kGone;
    // Counted from the send: etcd's clock started no earlier.
    expires_ = sent + absl::Seconds(*ttl);
    return Renewal::kRenewed;
  }
  FARM_LOG(WARNING) << "renewing etcd lease " << lease_ << ": " << ttl.status();
  // Past expires_ etcd may have dropped it: acting on it would be unsafe.
  return client_->clock().Now() < expires_ ? Renewal::kFailed : Renewal::kGone;
}

void LeaseSession::KeepAliveLoop() {
  const absl::Duration period = absl::Seconds(ttl_seconds_) / 3;
  absl::Duration wait = period;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      absl::Time at = client_->clock().Now() + wait;
      if (client_->clock().AwaitWithDeadline(&mu_, absl::Condition(&stop_),
                                             at)) {
        return;
      }
    }
    Renewal r = Renew();
    if (r == Renewal::kGone) break;
    wait = r == Renewal::kRenewed ? period : std::min(period, kRetry);
  }
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;  // closing: not a loss
    lost_ = true;
  }
  FARM_LOG(WARNING) << "etcd lease " << lease_ << " lost";
  if (on_lost_) on_lost_();
}

}  // namespace farm::etcd
