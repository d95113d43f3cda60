// EtcdClient against a real 3-member etcd on loopback.
#include "common/etcd/etcd_client.h"

#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "common/etcd/testing/etcd_test.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/curl_transport.h"

namespace farm::etcd {
namespace {

using ::testing::HasSubstr;

class EtcdClientTest : public testing::EtcdTest {
 protected:
  void SetUp() override { EtcdTest::SetUp(); }

  // A key of this test's own, so tests never see each other's keys.
  static std::string Key(const std::string& name) {
    return TestPrefix("test") + "/" + name;
  }
};

TEST_F(EtcdClientTest, PutGetPrefixAndDelete) {
  absl::StatusOr<int64_t> rev = client_->Put(Key("a/1"), "one");
  ASSERT_TRUE(rev.ok()) << rev.status();
  ASSERT_TRUE(client_->Put(Key("a/2"), "two").ok());
  ASSERT_TRUE(client_->Put(Key("b"), "bee").ok());

  absl::StatusOr<KeyValue> kv = client_->Get(Key("a/1"));
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(kv->value, "one");
  EXPECT_EQ(kv->create_revision, *rev);
  EXPECT_EQ(kv->mod_revision, *rev);
  EXPECT_EQ(kv->version, 1);
  EXPECT_EQ(kv->lease, 0);

  ASSERT_TRUE(client_->Put(Key("a/1"), "uno").ok());
  kv = client_->Get(Key("a/1"));
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "uno");
  EXPECT_EQ(kv->create_revision, *rev);
  EXPECT_GT(kv->mod_revision, *rev);
  EXPECT_EQ(kv->version, 2);

  absl::StatusOr<RangeResponse> all = client_->GetPrefix(Key("a/"));
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->kvs.size(), 2u);
  EXPECT_EQ(all->kvs[0].key, Key("a/1"));
  EXPECT_EQ(all->kvs[1].value, "two");
  EXPECT_GE(all->revision, kv->mod_revision);

  EXPECT_EQ(*client_->Delete(Key("a/1")), 1);
  EXPECT_EQ(*client_->Delete(Key("a/1")), 0);
  absl::Status gone = client_->Get(Key("a/1")).status();
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(gone.message(), HasSubstr("a/1"));
  EXPECT_EQ(client_->GetPrefix(Key("a/"))->kvs.size(), 1u);
}

TEST_F(EtcdClientTest, TxnComparesPickTheBranch) {
  TxnRequest create;
  create.compares = {Compare::Absent(Key("k"))};
  create.success = {Op::Put(Key("k"), "v1"), Op::Get(Key("k"))};
  create.failure = {Op::Get(Key("k"))};
  absl::StatusOr<TxnResponse> r = client_->Txn(create);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded);
  ASSERT_EQ(r->ranges.size(), 2u);
  ASSERT_EQ(r->ranges[1].size(), 1u);
  const int64_t created = r->ranges[1][0].create_revision;
  EXPECT_EQ(created, r->revision);

  // The key exists now: the failure branch runs and reads it.
  r = client_->Txn(create);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->succeeded);
  ASSERT_EQ(r->ranges.size(), 1u);
  ASSERT_EQ(r->ranges[0].size(), 1u);
  EXPECT_EQ(r->ranges[0][0].value, "v1");

  TxnRequest update;
  update.compares = {Compare::ValueEquals(Key("k"), "v1"),
                     Compare::CreateRevisionEquals(Key("k"), created),
                     Compare::ModRevisionEquals(Key("k"), created),
                     Compare::VersionEquals(Key("k"), 1)};
  update.success = {Op::Put(Key("k"), "v2"), Op::Delete(Key("other"))};
  r = client_->Txn(update);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded);
  EXPECT_EQ(client_->Get(Key("k"))->value, "v2");

  // Every compare is stale now.
  r = client_->Txn(update);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->succeeded);
  EXPECT_EQ(client_->Get(Key("k"))->value, "v2");

  TxnRequest by_version;
  by_version.compares = {Compare::VersionEquals(Key("k"), 2)};
  by_version.success = {Op::Delete(Key(""), /*prefix=*/true)};
  r = client_->Txn(by_version);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->succeeded);
  EXPECT_EQ(client_->Get(Key("k")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EtcdClientTest, LeasedKeyLivesOnlyWhileKeptAlive) {
  absl::StatusOr<int64_t> idle = client_->LeaseGrant(2);
  absl::StatusOr<int64_t> kept = client_->LeaseGrant(2);
  ASSERT_TRUE(idle.ok()) << idle.status();
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_TRUE(client_->Put(Key("idle"), "x", *idle).ok());
  ASSERT_TRUE(client_->Put(Key("kept"), "y", *kept).ok());
  EXPECT_EQ(client_->Get(Key("idle"))->lease, *idle);

  absl::Time start = absl::Now();
  absl::Time idle_gone = absl::InfiniteFuture();
  while (absl::Now() - start < absl::Milliseconds(3500)) {
    absl::StatusOr<int64_t> ttl = client_->LeaseKeepAliveOnce(*kept);
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    EXPECT_GT(*ttl, 0);
    if (idle_gone == absl::InfiniteFuture() &&
        absl::IsNotFound(client_->Get(Key("idle")).status())) {
      idle_gone = absl::Now();
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  // etcd expires leases on its leader's next check after the TTL.
  EXPECT_GT(idle_gone - start, absl::Milliseconds(1500));
  EXPECT_LT(idle_gone - start, absl::Milliseconds(3500));
  EXPECT_EQ(*client_->LeaseKeepAliveOnce(*idle), 0);
  EXPECT_EQ(client_->Get(Key("kept"))->value, "y");

  ASSERT_TRUE(client_->LeaseRevoke(*kept).ok());
  EXPECT_TRUE(absl::IsNotFound(client_->Get(Key("kept")).status()));
  EXPECT_EQ(client_->LeaseRevoke(*kept).code(), absl::StatusCode::kNotFound);
}

TEST_F(EtcdClientTest, WatchSeesChanges) {
  absl::StatusOr<int64_t> before = client_->Put(Key("w"), "0");
  ASSERT_TRUE(before.ok());
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    client_->Put(Key("w"), "1").IgnoreError();
  });
  absl::Time start = absl::Now();
  absl::StatusOr<std::vector<WatchEvent>> events =
      client_->Watch(Key("w"), false, 0, start + absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ((*events)[0].kv.value, "1");

  // From a past revision the history comes back at once; a prefix sees
  // deletes too.
  ASSERT_TRUE(client_->Delete(Key("w")).ok());
  events = client_->Watch(Key(""), true, *before + 1,
                          absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ((*events)[1].kv.key, Key("w"));

  // Nothing happens: the deadline ends the wait, on time.
  start = absl::Now();
  absl::Status quiet =
      client_->Watch(Key("w"), false, 0, start + absl::Milliseconds(300))
          .status();
  EXPECT_EQ(quiet.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST_F(EtcdClientTest, FailsOverWhenTheFirstEndpointsMemberDies) {
  ASSERT_TRUE(client_->Put(Key("before"), "x").ok());
  cluster().Kill(0);  // the member behind endpoints[0], which the client used

  absl::Status put = client_->Put(Key("after"), "y").status();
  EXPECT_TRUE(put.ok()) << put;
  absl::StatusOr<KeyValue> kv = client_->Get(Key("before"));
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(kv->value, "x");
  TxnRequest txn;
  txn.compares = {Compare::ValueEquals(Key("after"), "y")};
  txn.success = {Op::Put(Key("txn"), "z")};
  absl::StatusOr<TxnResponse> r = client_->Txn(txn);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded);
  absl::StatusOr<int64_t> lease = client_->LeaseGrant(5);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_TRUE(client_->LeaseRevoke(*lease).ok());
  absl::StatusOr<std::vector<WatchEvent>> events = client_->Watch(
      Key("txn"), false, r->revision, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(events.ok()) << events.status();

  // A fresh client whose first endpoint is dead works as well.
  EtcdClient fresh(transport(), {cluster().client_urls()});
  EXPECT_EQ(fresh.Get(Key("txn"))->value, "z");

  ASSERT_TRUE(cluster().Restart(0).ok());
  EtcdClientOptions only_first;
  only_first.endpoints = {cluster().client_url(0)};
  EtcdClient first(transport(), only_first);
  EXPECT_EQ(first.Get(Key("txn"))->value, "z");
}

TEST_F(EtcdClientTest, NoLiveEndpointIsUnavailable) {
  EtcdClientOptions o;
  o.endpoints = {"http://127.0.0.1:1"};
  o.request_timeout = absl::Milliseconds(300);
  EtcdClient dead(transport(), o);
  absl::Status s = dead.Put(Key("x"), "y").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("no etcd member answered"));
}

}  // namespace
}  // namespace farm::etcd
