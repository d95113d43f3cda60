// EtcdShardedCache against a real etcd: farm-cache services over memory
// caches on loopback register and leave, and the scheduler's sharded cache
// follows. The nodes share nothing, so routing is checked by where blobs
// land.
#include "cache/sharded/etcd_sharded_cache.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/authenticator.h"
#include "cache/memory_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "cache/sharded/node_registration.h"
#include "cache/sharded/rendezvous.h"
#include "common/etcd/testing/etcd_test.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/curl_transport.h"

namespace farm::cache {
namespace {

using ::testing::HasSubstr;

// One farm-cache: a memory cache served on 127.0.0.1.
class LoopbackNode {
 public:
  LoopbackNode() : service_(cache_.blobs(), cache_.actions(), &cache_, &open_) {
    absl::StatusOr<RunningServer> server =
        StartGrpcServer("127.0.0.1:0", {&service_});
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = std::move(*server);
  }
  ~LoopbackNode() {
    if (server_.server != nullptr) server_.server->Shutdown();
  }
  std::string address() const {
    return absl::StrCat("127.0.0.1:", server_.port);
  }
  bool Holds(const std::string& data) {
    return cache_.blobs()->Stat(Digest::Of(data)).ok();
  }

 private:
  MemoryCache cache_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  CacheService service_;
  RunningServer server_;
};

class EtcdShardedCacheTest : public etcd::testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    target_.endpoints = cluster().client_urls();
    target_.prefix = TestPrefix("disc");
  }

  std::unique_ptr<NodeRegistration> Register(const LoopbackNode& node) {
    NodeRegistrationOptions options;
    options.prefix = target_.prefix;
    options.node = {node.address(), 1};
    options.ttl_seconds = 2;
    auto r = NodeRegistration::Start(client_.get(), options);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : nullptr;
  }

  // Waits until the cache's membership is exactly `nodes`.
  static bool AwaitMembers(EtcdShardedCache& cache,
                           const std::vector<CacheNode>& nodes) {
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!cache.dynamic().current()->SameNodes(nodes)) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  EtcdCacheTarget target_;
};

// The first "prefix<i>" whose owner among `nodes` is `owner`, that also
// satisfies `also`.
template <typename Also>
std::string Find(const std::string& prefix, const std::vector<CacheNode>& nodes,
                 const std::string& owner, Also also) {
  RendezvousRanking ranking(nodes);
  for (int i = 0;; ++i) {
    std::string data = absl::StrCat(prefix, i);
    if (ranking.node(ranking.Owner(Digest::Of(data))).address == owner &&
        also(data)) {
      return data;
    }
  }
}
std::string Find(const std::string& prefix, const std::vector<CacheNode>& nodes,
                 const std::string& owner) {
  return Find(prefix, nodes, owner, [](const std::string&) { return true; });
}

TEST_F(EtcdShardedCacheTest, NoRegisteredNodeIsUnavailable) {
  auto cache = EtcdShardedCache::Open(target_, {}, RealClock::Get());
  absl::StatusOr<BlobInfo> stat = cache->blobs()->Stat(Digest::Of("x"));
  EXPECT_EQ(stat.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(stat.status().message(),
              HasSubstr("no cache node is registered under " + target_.prefix +
                        "/cache-nodes/ in etcd"));
}

TEST_F(EtcdShardedCacheTest, FollowsNodesThatComeAndGo) {
  LoopbackNode a, b, c;
  const CacheNode na{a.address(), 1}, nb{b.address(), 1}, nc{c.address(), 1};
  auto ra = Register(a);
  auto rb = Register(b);
  auto cache = EtcdShardedCache::Open(target_, {}, RealClock::Get());
  ASSERT_TRUE(AwaitMembers(*cache, {na, nb}));

  // A blob b owns in every membership below: its reads never stop.
  const std::string steady = Find("steady", {na, nb, nc}, nb.address);
  ASSERT_TRUE(PutBlob(*cache->blobs(), steady).ok());
  ASSERT_TRUE(b.Holds(steady));
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failed{0};
  std::thread reader([&] {
    while (!stop) {
      absl::StatusOr<std::string> got =
          GetBlob(*cache->blobs(), Digest::Of(steady));
      if (!got.ok() || *got != steady) ++failed;
      ++reads;
    }
  });

  // c joins: what it wins now goes to it.
  auto rc = Register(c);
  ASSERT_TRUE(AwaitMembers(*cache, {na, nb, nc}));
  const std::string to_c = Find("to-c", {na, nb, nc}, nc.address);
  ASSERT_TRUE(PutBlob(*cache->blobs(), to_c).ok());
  EXPECT_TRUE(c.Holds(to_c));
  EXPECT_FALSE(a.Holds(to_c) || b.Holds(to_c));

  // a leaves: a digest it owned goes to its runner-up.
  const std::string of_a = Find("of-a", {na, nb, nc}, na.address);
  const RendezvousRanking rest({nb, nc});
  LoopbackNode& runner_up =
      rest.node(rest.Owner(Digest::Of(of_a))).address == nb.address ? b : c;
  ASSERT_TRUE(ra->Stop().ok());
  ASSERT_TRUE(AwaitMembers(*cache, {nb, nc}));
  ASSERT_TRUE(PutBlob(*cache->blobs(), of_a).ok());
  EXPECT_TRUE(runner_up.Holds(of_a));
  EXPECT_FALSE(a.Holds(of_a));

  stop = true;
  reader.join();
  EXPECT_GT(reads, 0);
  EXPECT_EQ(failed, 0);
}

TEST_F(EtcdShardedCacheTest, ANodeWhoseLeaseLapsesLeaves) {
  LoopbackNode a, b;
  const CacheNode na{a.address(), 1}, nb{b.address(), 1};
  auto ra = Register(a);
  auto rb = Register(b);
  auto cache = EtcdShardedCache::Open(target_, {}, RealClock::Get());
  ASSERT_TRUE(AwaitMembers(*cache, {na, nb}));
  rb->Abandon();  // as a hung node: no deregistration, the TTL runs out
  ASSERT_TRUE(AwaitMembers(*cache, {na}));
  ASSERT_TRUE(PutBlob(*cache->blobs(), "after b").ok());
  EXPECT_TRUE(a.Holds("after b"));
}

}  // namespace
}  // namespace farm::cache
