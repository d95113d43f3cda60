#include "cache/sharded/node_registration.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/sharded/etcd_cache_layout.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<std::unique_ptr<NodeRegistration>> NodeRegistration::Start(
    etcd::EtcdClient* client, NodeRegistrationOptions options) {
  RETURN_IF_ERROR(ValidateCacheNodes({options.node}));
  std::string key = CacheNodesKeyPrefix(options.prefix) + options.node.address;
  std::unique_ptr<NodeRegistration> r(
      new NodeRegistration(client, std::move(options), std::move(key)));
  absl::MutexLock lock(&r->join_mu_);
  r->thread_ = std::thread([p = r.get()] { p->Loop(); });
  return r;
}

NodeRegistration::~NodeRegistration() { Stop().IgnoreError(); }

int64_t NodeRegistration::lease() const {
  absl::MutexLock lock(&mu_);
  return session_ != nullptr && !lost_ ? session_->lease() : 0;
}

absl::StatusOr<std::unique_ptr<etcd::LeaseSession>>
NodeRegistration::Register() {
  etcd::LeaseSessionOptions lease_options;
  lease_options.ttl_seconds = options_.ttl_seconds;
  lease_options.on_lost = [this] {
    absl::MutexLock lock(&mu_);
    lost_ = true;
  };
  ASSIGN_OR_RETURN(std::unique_ptr<etcd::LeaseSession> session,
                   etcd::LeaseSession::Start(client_, lease_options));
  absl::StatusOr<int64_t> put =
      client_->Put(key_, EncodeCacheNode(options_.node), session->lease());
  if (!put.ok()) {
    session->Close().IgnoreError();
    return Annotate(put.status(), absl::StrCat("putting ", key_));
  }
  return session;
}

void NodeRegistration::Loop() {
  for (;;) {
    absl::StatusOr<std::unique_ptr<etcd::LeaseSession>> session = Register();
    absl::Duration wait = options_.retry;
    if (session.ok()) {
      FARM_LOG(INFO) << "registered " << key_ << " with lease "
                     << (*session)->lease();
      std::unique_ptr<etcd::LeaseSession> lost;
      {
        absl::MutexLock lock(&mu_);
        lost_ = false;
        session_ = *std::move(session);
        // Held until Stop, or until the lease is lost and must be replaced.
        mu_.Await(absl::Condition(this, &NodeRegistration::StopOrLost));
        if (stop_) return;  // Stop takes the session
        lost = std::move(session_);
      }
      lost.reset();  // joins its thread; a lost lease is not revoked
      FARM_LOG(WARNING) << "lost the registration of " << key_
                        << "; registering again";
      wait = absl::ZeroDuration();
    } else {
      FARM_LOG(WARNING) << "registering " << key_ << ": " << session.status();
    }
    absl::MutexLock lock(&mu_);
    if (client_->clock().AwaitWithDeadline(&mu_, absl::Condition(&stop_),
                                           client_->clock().Now() + wait)) {
      return;
    }
  }
}

std::unique_ptr<etcd::LeaseSession> NodeRegistration::Join() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  {
    absl::MutexLock lock(&join_mu_);
    if (thread_.joinable()) thread_.join();
  }
  absl::MutexLock lock(&mu_);
  return std::move(session_);
}

absl::Status NodeRegistration::Stop() {
  std::unique_ptr<etcd::LeaseSession> session = Join();
  if (session == nullptr) return absl::OkStatus();
  FARM_LOG(INFO) << "deregistering " << key_;
  return Annotate(session->Close(), absl::StrCat("deregistering ", key_));
}

void NodeRegistration::Abandon() {
  std::unique_ptr<etcd::LeaseSession> session = Join();
  if (session != nullptr) session->StopKeepAlive();
  // Destroying the session would revoke the lease: keep it.
  absl::MutexLock lock(&mu_);
  abandoned_ = std::move(session);
}

}  // namespace farm::cache
