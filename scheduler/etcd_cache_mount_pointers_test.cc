// EtcdCacheMountPointers against a real 3-member etcd on loopback: the
// suite every CacheMountPointers passes, a stale leader's swap refused, and
// the keys it writes.
#include "scheduler/etcd_cache_mount_pointers.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/etcd/leader_election.h"
#include "common/etcd/lease_session.h"
#include "common/etcd/testing/etcd_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/curl_transport.h"
#include "scheduler/cache_mount_pointers_conformance.h"

namespace farm::scheduler {
namespace {

using testing::CacheMountPointersConformanceTest;
using ::testing::HasSubstr;
using testing::PointersImpl;

// A scheduler as etcd sees it: a lease and an election it has won.
struct Leader {
  std::unique_ptr<etcd::LeaseSession> session;
  std::unique_ptr<etcd::LeaderElection> election;

  static absl::StatusOr<Leader> Win(etcd::EtcdClient* client,
                                    const std::string& prefix) {
    Leader out;
    absl::StatusOr<std::unique_ptr<etcd::LeaseSession>> session =
        etcd::LeaseSession::Start(client, {});
    if (!session.ok()) return session.status();
    out.session = *std::move(session);
    out.election =
        std::make_unique<etcd::LeaderElection>(out.session.get(), prefix);
    absl::Status won =
        out.election->Campaign("me", absl::Now() + absl::Seconds(5));
    if (!won.ok()) return won;
    return out;
  }

  FencedWriter Writer() {
    return [e = election.get()](etcd::TxnRequest txn) {
      return e->FencedTxn(std::move(txn));
    };
  }
};

// One cluster for the binary, started on the main thread (its members die
// with the thread that started them), and a scheduler that leads it. The
// conformance suite has no fixture of ours to start it in.
class EtcdEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<etcd::testing::EtcdCluster>> started =
        etcd::testing::EtcdCluster::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = *std::move(started);
    image::registry::CurlTransportOptions transport;
    transport.connect_timeout = absl::Seconds(1);
    transport.stall_timeout = absl::Seconds(10);
    transport_ = std::make_unique<image::registry::CurlTransport>(transport);
    etcd::EtcdClientOptions options;
    options.endpoints = cluster_->client_urls();
    options.attempt_timeout = absl::Seconds(1);
    client_ = std::make_unique<etcd::EtcdClient>(transport_.get(), options);
    absl::StatusOr<Leader> leader = Leader::Win(client_.get(), "/election");
    ASSERT_TRUE(leader.ok()) << leader.status();
    leader_ = std::make_unique<Leader>(*std::move(leader));
  }
  void TearDown() override {
    leader_.reset();
    client_.reset();
    transport_.reset();
    cluster_.reset();
  }

  bool ready() const { return leader_ != nullptr; }
  etcd::EtcdClient* client() { return client_.get(); }
  Leader& leader() { return *leader_; }

 private:
  std::unique_ptr<etcd::testing::EtcdCluster> cluster_;
  std::unique_ptr<image::registry::CurlTransport> transport_;
  std::unique_ptr<etcd::EtcdClient> client_;
  std::unique_ptr<Leader> leader_;
};

auto* const env = static_cast<EtcdEnvironment*>(
    ::testing::AddGlobalTestEnvironment(new EtcdEnvironment));

// A prefix no other store of this binary uses.
std::string FreshPrefix(const std::string& name) {
  static std::atomic<int> next{0};
  return absl::StrCat("/", name, "-", next++);
}

PointersImpl EtcdImpl() {
  return {
      "Etcd", []() -> absl::StatusOr<std::unique_ptr<CacheMountPointers>> {
        if (!env->ready()) return absl::UnavailableError("no etcd");
        return std::unique_ptr<CacheMountPointers>(new EtcdCacheMountPointers(
            env->client(), FreshPrefix("conformance"), env->leader().Writer()));
      }};
}

INSTANTIATE_TEST_SUITE_P(Etcd, CacheMountPointersConformanceTest,
                         ::testing::Values(EtcdImpl()),
                         testing::PointersImplName);

MountGeneration Gen(const std::string& content, int64_t size = 100) {
  return {Digest::Of(content), size};
}

class EtcdCacheMountPointersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env->ready());
    prefix_ = FreshPrefix("pointers");
  }
  etcd::EtcdClient& client() { return *env->client(); }

  std::string prefix_;
};

TEST_F(EtcdCacheMountPointersTest, ALostFenceRefusesTheSwap) {
  absl::StatusOr<Leader> stale = Leader::Win(&client(), prefix_ + "-election");
  ASSERT_TRUE(stale.ok()) << stale.status();
  EtcdCacheMountPointers pointers(&client(), prefix_, stale->Writer());
  const CacheMountKey npm{"team-a", "npm"};
  ASSERT_TRUE(pointers.CompareAndSwap(npm, Digest(), Gen("g1")).ok());
  // etcd drops its lease and election key before it notices.
  ASSERT_TRUE(client().LeaseRevoke(stale->session->lease()).ok());
  absl::Status s = pointers.CompareAndSwap(npm, Digest::Of("g1"), Gen("g2"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr(prefix_ + "/cache-mounts/team-a/npm"));
  EXPECT_THAT(s.message(), HasSubstr("leadership lost"));
  EXPECT_EQ(pointers.Get(npm)->digest, Digest::Of("g1"));
}

TEST_F(EtcdCacheMountPointersTest, KeysAreEscapedAndStayUnderThePrefix) {
  EtcdCacheMountPointers pointers(&client(), prefix_, env->leader().Writer());
  // Equal if simply joined with '/'.
  ASSERT_TRUE(
      pointers.CompareAndSwap({"a/b", "c"}, Digest(), Gen("ab-c", 5)).ok());
  ASSERT_TRUE(
      pointers.CompareAndSwap({"a", "b/c"}, Digest(), Gen("a-bc")).ok());
  EXPECT_EQ(pointers.Get({"a/b", "c"})->digest, Digest::Of("ab-c"));
  EXPECT_EQ(pointers.Get({"a", "b/c"})->digest, Digest::Of("a-bc"));

  absl::StatusOr<etcd::RangeResponse> all = client().GetPrefix(prefix_ + "/");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->kvs.size(), 2u);
  // Sorted by key: '%' < '/'.
  EXPECT_EQ(all->kvs[0].key, prefix_ + "/cache-mounts/a%2Fb/c");
  EXPECT_EQ(all->kvs[1].key, prefix_ + "/cache-mounts/a/b%2Fc");
  EXPECT_EQ(all->kvs[0].value,
            absl::StrCat("{\"digest\":\"", Digest::Of("ab-c").ToString(),
                         "\",\"size_bytes\":5}"));

  EXPECT_EQ(pointers.Pointed()->size(), 2u);
  // A prefix that merely starts like this one shares none of it.
  EtcdCacheMountPointers longer(&client(), prefix_ + "0",
                                env->leader().Writer());
  EXPECT_TRUE(longer.Pointed()->empty());
  EXPECT_TRUE(longer.Get({"a", "b/c"})->digest.empty());
}

TEST_F(EtcdCacheMountPointersTest, AValueThatDoesNotParseIsDataLoss) {
  EtcdCacheMountPointers pointers(&client(), prefix_, env->leader().Writer());
  const std::string key = prefix_ + "/cache-mounts/t/npm";
  ASSERT_TRUE(client().Put(key, "{\"digest\": 7}").ok());
  absl::StatusOr<MountGeneration> got = pointers.Get({"t", "npm"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr(key));
  EXPECT_EQ(pointers.Pointed().status().code(), absl::StatusCode::kDataLoss);
  absl::Status swap = pointers.CompareAndSwap({"t", "npm"}, Digest(), Gen("x"));
  EXPECT_EQ(swap.code(), absl::StatusCode::kDataLoss) << swap;
}

}  // namespace
}  // namespace farm::scheduler
