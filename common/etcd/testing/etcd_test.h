// EtcdTest: a test fixture over one real 3-member etcd on loopback, started
// once for the test suite, and a client of every member.
#ifndef FARM_COMMON_ETCD_TESTING_ETCD_TEST_H_
#define FARM_COMMON_ETCD_TESTING_ETCD_TEST_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/etcd/etcd_client.h"
#include "common/etcd/leader_election.h"
#include "common/etcd/lease_session.h"
#include "common/etcd/testing/etcd_cluster.h"
#include "gtest/gtest.h"
#include "image/registry/curl_transport.h"

namespace farm::etcd::testing {

// A candidate that won an election: its lease and the election, and the
// fenced writer a scheduler would hand its stores.
struct ElectedLeader {
  std::unique_ptr<LeaseSession> session;
  std::unique_ptr<LeaderElection> election;

  std::function<absl::StatusOr<TxnResponse>(TxnRequest)> Writer() {
    return [e = election.get()](TxnRequest txn) {
      return e->FencedTxn(std::move(txn));
    };
  }
};

class EtcdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  // Fails the test if the cluster did not start; then makes `client_`
  // with TestClientOptions(). A subclass's SetUp calls this first.
  void SetUp() override;

  // Every member, with the short timeouts a test wants.
  static EtcdClientOptions TestClientOptions();
  // "/ROOT/<the running test's name>": keys of this test alone.
  static std::string TestPrefix(const std::string& root);
  static EtcdCluster& cluster() { return *cluster_; }
  // Campaigns under `election_prefix` with a fresh lease until it leads
  // (5 s at most); null, with the test failed, if it does not.
  std::unique_ptr<ElectedLeader> ElectLeader(
      const std::string& election_prefix);
  image::registry::HttpTransport* transport() { return transport_.get(); }

  std::unique_ptr<EtcdClient> client_;

 private:
  static EtcdCluster* cluster_;
  static absl::Status* start_error_;
  std::unique_ptr<image::registry::CurlTransport> transport_;
};

}  // namespace farm::etcd::testing

#endif  // FARM_COMMON_ETCD_TESTING_ETCD_TEST_H_
