// DynamicShardedCache and ShardedSnapshot without etcd: memberships set by
// hand over in-memory nodes.
#include "cache/sharded/dynamic_sharded_cache.h"

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cache/memory_cache.h"
#include "cache/sharded/rendezvous.h"
#include "cache/sharded/testing/flaky_node.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using testing::FlakyNode;
using ::testing::HasSubstr;

// A node's clients over a FlakyNode the test owns.
class FlakyClients : public NodeClients {
 public:
  explicit FlakyClients(FlakyNode* node) : node_(node) {}
  BlobStore* blobs() override { return node_->blobs(); }
  ActionCache* actions() override { return node_->actions(); }
  CacheAdmin* admin() override { return node_->admin(); }

 private:
  FlakyNode* node_;
};

// Nodes "a", "b", "c" over caches of their own, or over one shared cache
// (as nodes in front of one bucket), and a count of dials per node.
class Nodes {
 public:
  explicit Nodes(bool shared = false) {
    for (const char* name : {"a", "b", "c"}) {
      MemoryCache* cache =
          shared && !caches_.empty()
              ? caches_.begin()->second.get()
              : (caches_[name] = std::make_unique<MemoryCache>()).get();
      flaky_[name] = std::make_unique<FlakyNode>(cache, name);
      store_[name] = cache;
    }
  }
  DialNode Dial() {
    return [this](const CacheNode& node)
               -> absl::StatusOr<std::shared_ptr<NodeClients>> {
      ++dials_[node.address];
      return std::make_shared<FlakyClients>(flaky_.at(node.address).get());
    };
  }
  MemoryCache& cache(const std::string& name) { return *store_.at(name); }
  FlakyNode& node(const std::string& name) { return *flaky_.at(name); }
  int dials(const std::string& name) { return dials_[name]; }

 private:
  std::map<std::string, std::unique_ptr<MemoryCache>> caches_;
  std::map<std::string, MemoryCache*> store_;
  std::map<std::string, std::unique_ptr<FlakyNode>> flaky_;
  std::map<std::string, int> dials_;
};

std::vector<CacheNode> List(std::initializer_list<const char*> names) {
  std::vector<CacheNode> nodes;
  for (const char* name : names) nodes.push_back({name, 1.0});
  return nodes;
}

bool Holds(MemoryCache& cache, const Digest& digest) {
  return cache.blobs()->Stat(digest).ok();
}

// The first blob "prefix<i>" that `owner` owns among `nodes`.
std::string OwnedBy(const std::vector<CacheNode>& nodes,
                    const std::string& owner, const std::string& prefix) {
  RendezvousRanking ranking(nodes);
  for (int i = 0;; ++i) {
    std::string data = absl::StrCat(prefix, i);
    if (ranking.node(ranking.Owner(Digest::Of(data))).address == owner) {
      return data;
    }
  }
}

class DynamicShardedCacheTest : public ::testing::Test {
 protected:
  SimulatedClock clock_{absl::FromUnixSeconds(1700000000)};
};

TEST_F(DynamicShardedCacheTest, EmptyMembershipIsUnavailableSayingWhere) {
  Nodes nodes;
  DynamicShardedCache cache(nodes.Dial(), &clock_, "under /x/cache-nodes/");
  absl::StatusOr<BlobInfo> stat = cache.blobs()->Stat(Digest::Of("x"));
  EXPECT_EQ(stat.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(stat.status().message(),
              HasSubstr("no cache node is registered under /x/cache-nodes/"));
  EXPECT_EQ(cache.actions()->Get(Digest::Of("k")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache.admin()->Stats().status().code(),
            absl::StatusCode::kUnavailable);
  std::vector<absl::StatusOr<std::string>> small =
      cache.blobs()->GetSmall({Digest::Of("x"), Digest::Of("y")});
  ASSERT_EQ(small.size(), 2u);
  EXPECT_EQ(small[1].status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(DynamicShardedCacheTest, NodesThatStayKeepTheirClients) {
  Nodes nodes;
  DynamicShardedCache cache(nodes.Dial(), &clock_, "here");
  ASSERT_TRUE(cache.SetNodes(List({"a", "b"})).ok());
  auto first = cache.current();
  ASSERT_TRUE(cache.SetNodes(List({"c", "b", "a"})).ok());
  auto second = cache.current();
  EXPECT_EQ(first->clients("a"), second->clients("a"));
  EXPECT_EQ(first->clients("b"), second->clients("b"));
  ASSERT_TRUE(cache.SetNodes(List({"c", "b"})).ok());
  EXPECT_EQ(cache.current()->clients("a"), nullptr);
  EXPECT_EQ(nodes.dials("a"), 1);
  EXPECT_EQ(nodes.dials("b"), 1);
  EXPECT_EQ(nodes.dials("c"), 1);
  // The same list in another order changes nothing.
  auto third = cache.current();
  ASSERT_TRUE(cache.SetNodes(List({"b", "c"})).ok());
  EXPECT_EQ(cache.current(), third);
}

TEST_F(DynamicShardedCacheTest, RoutingFollowsTheMembership) {
  Nodes nodes;
  DynamicShardedCache cache(nodes.Dial(), &clock_, "here");
  ASSERT_TRUE(cache.SetNodes(List({"a", "b"})).ok());
  const std::string to_c = OwnedBy(List({"a", "b", "c"}), "c", "join");
  ASSERT_TRUE(cache.SetNodes(List({"a", "b", "c"})).ok());
  ASSERT_TRUE(PutBlob(*cache.blobs(), to_c).ok());
  EXPECT_TRUE(Holds(nodes.cache("c"), Digest::Of(to_c)));

  // a leaves: a blob it owned goes to its runner-up among b and c.
  const std::string of_a = OwnedBy(List({"a", "b", "c"}), "a", "leave");
  const std::string runner_up =
      RendezvousRanking(List({"b", "c"})).Owner(Digest::Of(of_a)) == 0 ? "b"
                                                                       : "c";
  ASSERT_TRUE(cache.SetNodes(List({"b", "c"})).ok());
  ASSERT_TRUE(PutBlob(*cache.blobs(), of_a).ok());
  EXPECT_TRUE(Holds(nodes.cache(runner_up), Digest::Of(of_a)));
  EXPECT_FALSE(Holds(nodes.cache("a"), Digest::Of(of_a)));
}

TEST_F(DynamicShardedCacheTest, ANodeDownStaysSkippedAcrossASwap) {
  Nodes nodes;
  DynamicShardedCache cache(nodes.Dial(), &clock_, "here");
  ASSERT_TRUE(cache.SetNodes(List({"a", "b"})).ok());
  const std::string of_a = OwnedBy(List({"a", "b", "c"}), "a", "down");
  nodes.node("a").SetDown(true);
  EXPECT_EQ(cache.blobs()->Stat(Digest::Of(of_a)).status().code(),
            absl::StatusCode::kNotFound);  // b answered
  const int calls = nodes.node("a").calls();
  ASSERT_TRUE(cache.SetNodes(List({"a", "b", "c"})).ok());
  EXPECT_EQ(cache.blobs()->Stat(Digest::Of(of_a)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(nodes.node("a").calls(), calls);  // skipped, not asked
  clock_.Advance(absl::Seconds(6));
  nodes.node("a").SetDown(false);
  ASSERT_TRUE(cache.blobs()->Stat(Digest::Of(of_a)).status().code() ==
              absl::StatusCode::kNotFound);
  EXPECT_EQ(nodes.node("a").calls(), calls + 1);
}

TEST_F(DynamicShardedCacheTest, AReaderKeepsItsSnapshot) {
  Nodes nodes;
  DynamicShardedCache cache(nodes.Dial(), &clock_, "here");
  ASSERT_TRUE(cache.SetNodes(List({"a", "b"})).ok());
  const std::string data(100000, 'r');
  ASSERT_TRUE(PutBlob(*cache.blobs(), data).ok());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader =
      cache.blobs()->Get(Digest::Of(data));
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::weak_ptr<const ShardedSnapshot> old = cache.current();
  ASSERT_TRUE(cache.SetNodes({}).ok());
  EXPECT_FALSE(old.expired());
  std::string read;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = (*reader)->Read(buf, sizeof(buf));
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    read.append(buf, *n);
  }
  EXPECT_EQ(read, data);
  reader->reset();
  EXPECT_TRUE(old.expired());
}

TEST_F(DynamicShardedCacheTest, InvalidListKeepsTheMembership) {
  Nodes nodes;
  DynamicShardedCache cache(nodes.Dial(), &clock_, "here");
  ASSERT_TRUE(cache.SetNodes(List({"a"})).ok());
  absl::Status bad = cache.SetNodes(List({"b", "b"}));
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(cache.current()->SameNodes(List({"a"})));
}

// Calls on four threads while the membership changes under them. The
// nodes share one cache (as nodes in front of one bucket do), so every
// read finds its blob whichever node serves it.
TEST_F(DynamicShardedCacheTest, SwapsAreSafeUnderConcurrentCalls) {
  Nodes nodes(/*shared=*/true);
  DynamicShardedCache cache(nodes.Dial(), &clock_, "here");
  ASSERT_TRUE(cache.SetNodes(List({"a", "b"})).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string data = absl::StrCat("t", t, "-", i % 50);
        absl::Status put = PutBlob(*cache.blobs(), data);
        absl::StatusOr<std::string> got =
            GetBlob(*cache.blobs(), Digest::Of(data));
        absl::StatusOr<std::vector<Digest>> missing =
            cache.blobs()->FindMissing({Digest::Of(data)});
        for (const absl::Status& s : {put, got.status(), missing.status()}) {
          // Only the empty membership may refuse a call.
          if (!s.ok() && !(absl::IsUnavailable(s) &&
                           absl::StrContains(s.message(), "no cache node"))) {
            ++failures;
          }
        }
        if (put.ok() && got.ok() && *got != data) ++failures;
        ++calls;
      }
    });
  }
  const std::vector<std::vector<CacheNode>> lists = {
      List({"a", "b", "c"}), List({"b", "c"}), List({"c"}), {},
      List({"a", "c"}),      List({"a", "b"})};
  for (int round = 0; round < 300; ++round) {
    ASSERT_TRUE(cache.SetNodes(lists[round % lists.size()]).ok());
    absl::SleepFor(absl::Milliseconds(1));
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(calls, 100);
}

}  // namespace
}  // namespace farm::cache
