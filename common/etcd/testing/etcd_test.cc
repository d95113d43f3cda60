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

std::string EtcdTest::TestPrefix(const std::string& root) {
  return "/" + root + "/" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

}  // namespace farm::etcd::testing
