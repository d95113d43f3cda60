// SchedulerLeadership: one farm-scheduler's place in a failover group
// (farm-scheduler --etcd). Every member campaigns in an etcd election under
// PREFIX/scheduler-leader with a lease of a few seconds; the one elected
// serves, the others stand by without listening. The leader writes the
// group's state (build journal, image index, cache-mount pointers) under
// PREFIX through fenced transactions, so that once its lease lapses it can
// no longer write, even before it notices. See docs/scale.md.
#ifndef FARM_SCHEDULER_LEADERSHIP_H_
#define FARM_SCHEDULER_LEADERSHIP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/etcd/etcd_client.h"
#include "common/etcd/leader_election.h"
#include "common/etcd/lease_session.h"
#include "image/registry/http.h"
#include "scheduler/etcd_keys.h"

namespace farm::scheduler {

struct LeadershipOptions {
  std::vector<std::string> endpoints;  // etcd client URLs
  std::string prefix = "/farm";
  // What the others learn of the leader: its gRPC address.
  std::string advertise;
  // How long a dead leader keeps the lead.
  int64_t lease_seconds = 5;
};

class SchedulerLeadership {
 public:
  // Connects to etcd and takes a lease; kUnavailable naming the endpoints
  // when etcd does not answer.
  static absl::StatusOr<std::unique_ptr<SchedulerLeadership>> Join(
      LeadershipOptions options);
  // Stops watching; the lease is revoked (Resign) if still held.
  ~SchedulerLeadership();

  // Blocks until this scheduler leads. kAborted once Resign() was called;
  // kUnavailable when the lease was lost while waiting.
  absl::Status AwaitLead();
  // Gives the lead (or the candidacy) up at once, so that a standby leads
  // without waiting for the lease: on a clean stop. Thread-safe; calls
  // after the first return once it has finished.
  void Resign();
  // Calls `lost` once, on a thread of its own, when this leader stops
  // leading (lease lost, fence failed); not after Resign().
  void WatchLead(std::function<void()> lost);

  // Where the group's state lives, and how the leader writes it.
  etcd::EtcdClient* client() { return client_.get(); }
  const std::string& prefix() const { return options_.prefix; }
  FencedWriter fenced_writer();

 private:
  explicit SchedulerLeadership(LeadershipOptions options)
      : options_(std::move(options)) {}

  const LeadershipOptions options_;
  std::unique_ptr<image::registry::HttpTransport> transport_;
  std::unique_ptr<etcd::EtcdClient> client_;
  std::unique_ptr<etcd::LeaseSession> session_;
  std::unique_ptr<etcd::LeaderElection> election_;
  absl::Mutex resign_mu_;
  absl::Notification resigned_;  // notified under resign_mu_
  std::thread watch_;
};

// The address of the scheduler leading the group under `prefix`, as it
// advertised itself; kNotFound when none leads.
absl::StatusOr<std::string> CurrentLeader(etcd::EtcdClient& client,
                                          const std::string& prefix);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_LEADERSHIP_H_
