#include "common/etcd/testing/etcd_test.h"

namespace farm::etcd::testing {

EtcdCluster* EtcdTest::cluster_ = nullptr;
absl::Status* EtcdTest::start_error_ = nullptr;

void EtcdTest::SetUpTestSuite() {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> started = EtcdCluster::Start();
  if (started.ok()) {
    cluster_ = started->release();
  } else {
    start_error_ = new absl::Status(started.status());
  }
}

void EtcdTest::TearDownTestSuite() {
  delete cluster_;
  cluster_ = nullptr;
}

void EtcdTest::SetUp() {
  ASSERT_NE(cluster_, nullptr) << *start_error_;
  image::registry::CurlTransportOptions options;
  options.connect_timeout = absl::Seconds(1);
  options.stall_timeout = absl::Seconds(10);
  transport_ = std::make_unique<image::registry::CurlTransport>(options);
  client_ = std::make_unique<EtcdClient>(transport_.get(), TestClientOptions());
}

EtcdClientOptions EtcdTest::TestClientOptions() {
  EtcdClientOptions options;
  options.endpoints = cluster_->client_urls();
  options.request_timeout = absl::Seconds(5);
  options.attempt_timeout = absl::Seconds(1);
  options.watch_round = absl::Seconds(2);
  return options;
}

std::unique_ptr<ElectedLeader> EtcdTest::ElectLeader(
    const std::string& election_prefix) {
  auto leader = std::make_unique<ElectedLeader>();
  absl::StatusOr<std::unique_ptr<LeaseSession>> session =
      LeaseSession::Start(client_.get(), {});
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return nullptr;
  leader->session = *std::move(session);
  leader->election =
      std::make_unique<LeaderElection>(leader->session.get(), election_prefix);
  absl::Status won =
      leader->election->Campaign("me", absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(won.ok()) << won;
  return won.ok() ? std::move(leader) : nullptr;
}

std::string EtcdTest::TestPrefix(const std::string& root) {
  return "/" + root + "/" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

}  // namespace farm::etcd::testing
