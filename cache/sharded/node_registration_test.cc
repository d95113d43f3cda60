// NodeRegistration against a real 3-member etcd on loopback.
#include "cache/sharded/node_registration.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "cache/sharded/etcd_cache_layout.h"
#include "common/etcd/testing/etcd_test.h"
#include "gtest/gtest.h"
#include "image/registry/curl_transport.h"

namespace farm::cache {
namespace {

constexpr int64_t kTtl = 2;

class NodeRegistrationTest : public etcd::testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    prefix_ = TestPrefix("reg");
  }

  std::unique_ptr<NodeRegistration> Register(const std::string& address) {
    NodeRegistrationOptions options;
    options.prefix = prefix_;
    options.node = {address, 2};
    options.ttl_seconds = kTtl;
    options.retry = absl::Milliseconds(200);
    auto r = NodeRegistration::Start(client_.get(), options);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : nullptr;
  }

  // The key's entry once `present` says it is (or is not) there, within
  // `timeout`; kNotFound when it ends absent.
  absl::StatusOr<etcd::KeyValue> AwaitKey(const std::string& key, bool present,
                                          absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      absl::StatusOr<etcd::KeyValue> kv = client_->Get(key);
      if (kv.ok() == present || absl::Now() > deadline) return kv;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::string prefix_;
};

TEST_F(NodeRegistrationTest, RegistersUnderThePrefixWithALease) {
  std::unique_ptr<NodeRegistration> r = Register("10.0.0.1:7800");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->key(), prefix_ + "/cache-nodes/10.0.0.1:7800");
  absl::StatusOr<etcd::KeyValue> kv =
      AwaitKey(r->key(), true, absl::Seconds(5));
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_NE(kv->lease, 0);
  EXPECT_EQ(kv->lease, r->lease());
  absl::StatusOr<CacheNode> node = DecodeCacheNode(kv->value);
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->address, "10.0.0.1:7800");
  EXPECT_EQ(node->weight, 2);
}

TEST_F(NodeRegistrationTest, StopDeregistersAtOnce) {
  std::unique_ptr<NodeRegistration> r = Register("10.0.0.2:7800");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(AwaitKey(r->key(), true, absl::Seconds(5)).ok());
  ASSERT_TRUE(r->Stop().ok());
  EXPECT_EQ(client_->Get(r->key()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(r->Stop().ok());  // idempotent
}

TEST_F(NodeRegistrationTest, AnAbandonedLeaseLapsesAfterItsTtl) {
  std::unique_ptr<NodeRegistration> r = Register("10.0.0.3:7800");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(AwaitKey(r->key(), true, absl::Seconds(5)).ok());
  absl::Time abandoned = absl::Now();
  r->Abandon();
  EXPECT_TRUE(client_->Get(r->key()).ok());  // still there for now
  EXPECT_EQ(AwaitKey(r->key(), false, absl::Seconds(kTtl + 3)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_GE(absl::Now() - abandoned, absl::Seconds(1));
}

TEST_F(NodeRegistrationTest, RegistersAgainWhenTheLeaseIsLost) {
  std::unique_ptr<NodeRegistration> r = Register("10.0.0.4:7800");
  ASSERT_NE(r, nullptr);
  absl::StatusOr<etcd::KeyValue> first =
      AwaitKey(r->key(), true, absl::Seconds(5));
  ASSERT_TRUE(first.ok()) << first.status();
  // As if etcd had dropped it: the next renewal finds it gone.
  ASSERT_TRUE(client_->LeaseRevoke(first->lease).ok());
  absl::Time deadline = absl::Now() + absl::Seconds(kTtl + 3);
  absl::StatusOr<etcd::KeyValue> again;
  do {
    absl::SleepFor(absl::Milliseconds(50));
    again = client_->Get(r->key());
  } while ((!again.ok() || again->lease == first->lease) &&
           absl::Now() < deadline);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->lease, first->lease);
  ASSERT_TRUE(r->Stop().ok());
  EXPECT_FALSE(client_->Get(r->key()).ok());
}

}  // namespace
}  // namespace farm::cache
