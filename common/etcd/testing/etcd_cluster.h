// EtcdCluster: a real N-member etcd (Debian's etcd-server) on loopback for
// tests, with short raft timers so elections and lease expiry are quick.
// Members can be killed with SIGKILL and restarted on their data.
#ifndef FARM_COMMON_ETCD_TESTING_ETCD_CLUSTER_H_
#define FARM_COMMON_ETCD_TESTING_ETCD_CLUSTER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace farm::etcd::testing {

struct EtcdClusterOptions {
  int members = 3;
  std::string binary = "/usr/bin/etcd";
  int heartbeat_ms = 50;
  int election_ms = 500;
  absl::Duration start_timeout = absl::Seconds(20);
};

class EtcdCluster {
 public:
  // Starts every member (data under $TEST_TMPDIR) and waits until each one
  // reports healthy. kUnavailable with the members' logs if they don't.
  // Members get SIGKILL when the thread that started them exits, so start
  // the cluster from a thread that outlives it (a test's main thread).
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(
      EtcdClusterOptions options = {});
  // SIGKILLs and reaps every member, removes the data.
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  // "http://127.0.0.1:PORT" of member i.
  const std::string& client_url(int i) const { return members_[i].client_url; }
  std::vector<std::string> client_urls() const;
  bool running(int i) const { return members_[i].pid > 0; }

  // SIGKILL, then reap. A stopped member stays stopped.
  void Kill(int i);
  // Starts a killed member again on its data and waits until it is
  // healthy.
  absl::Status Restart(int i);
  // Waits until member i answers /health with "true".
  absl::Status AwaitHealthy(int i, absl::Duration timeout);
  std::string Log(int i) const;

 private:
  struct Member {
    std::string name;
    std::string data_dir;
    std::string log_path;
    std::string client_url;
    std::string peer_url;
    pid_t pid = -1;
  };

  EtcdCluster(EtcdClusterOptions options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}
  absl::Status Spawn(int i);
  std::string InitialCluster() const;
  std::string Logs() const;

  EtcdClusterOptions options_;
  std::string dir_;
  std::vector<Member> members_;
};

}  // namespace farm::etcd::testing

#endif  // FARM_COMMON_ETCD_TESTING_ETCD_CLUSTER_H_
