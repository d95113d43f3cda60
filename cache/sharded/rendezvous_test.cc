#include "cache/sharded/rendezvous.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using ::testing::ElementsAre;

constexpr int kDigests = 100'000;

std::vector<Digest> ManyDigests() {
  std::vector<Digest> digests;
  digests.reserve(kDigests);
  for (int i = 0; i < kDigests; ++i) {
    digests.push_back(Digest::Of(absl::StrCat("blob ", i)));
  }
  return digests;
}

const std::vector<Digest>& Digests() {
  static const std::vector<Digest>* digests =
      new std::vector<Digest>(ManyDigests());
  return *digests;
}

std::vector<CacheNode> Nodes(int count) {
  std::vector<CacheNode> nodes;
  for (int i = 0; i < count; ++i) {
    nodes.push_back({absl::StrCat("cache-", i, ".farm:7070"), 1.0});
  }
  return nodes;
}

const std::string& OwnerAddress(const RendezvousRanking& ranking,
                                const Digest& digest) {
  return ranking.node(ranking.Owner(digest)).address;
}

TEST(RendezvousTest, RankIsEveryNodeOnceOwnerFirst) {
  RendezvousRanking ranking(Nodes(5));
  for (int i = 0; i < 1000; ++i) {
    const Digest& digest = Digests()[i];
    std::vector<size_t> rank = ranking.Rank(digest);
    ASSERT_EQ(rank.size(), 5u);
    EXPECT_EQ(rank[0], ranking.Owner(digest));
    std::sort(rank.begin(), rank.end());
    EXPECT_THAT(rank, ElementsAre(0, 1, 2, 3, 4));
  }
}

// Every client must agree on owners, across processes and releases: a
// change here reshuffles the whole cache.
TEST(RendezvousTest, IsDeterministicAndStable) {
  RendezvousRanking one(Nodes(4)), two(Nodes(4));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(one.Rank(Digests()[i]), two.Rank(Digests()[i]));
  }
  EXPECT_THAT(one.Rank(Digest::Of("a")), ElementsAre(3, 1, 2, 0));
  EXPECT_THAT(one.Rank(Digest::Of("b")), ElementsAre(0, 2, 1, 3));
}

TEST(RendezvousTest, DoesNotDependOnTheOrderOfTheList) {
  std::vector<CacheNode> nodes = Nodes(5);
  RendezvousRanking forward(nodes);
  std::reverse(nodes.begin(), nodes.end());
  std::swap(nodes[1], nodes[3]);
  RendezvousRanking shuffled(nodes);
  for (int i = 0; i < 10'000; ++i) {
    const Digest& digest = Digests()[i];
    std::vector<size_t> a = forward.Rank(digest), b = shuffled.Rank(digest);
    for (size_t j = 0; j < a.size(); ++j) {
      ASSERT_EQ(forward.node(a[j]).address, shuffled.node(b[j]).address);
    }
  }
}

TEST(RendezvousTest, SharesFollowTheWeights) {
  std::vector<CacheNode> nodes = Nodes(3);
  nodes[2].weight = 2.0;
  RendezvousRanking ranking(nodes);
  std::vector<int> owned(3);
  for (const Digest& digest : Digests()) ++owned[ranking.Owner(digest)];
  EXPECT_NEAR(owned[0] / double{kDigests}, 0.25, 0.01);
  EXPECT_NEAR(owned[1] / double{kDigests}, 0.25, 0.01);
  EXPECT_NEAR(owned[2] / double{kDigests}, 0.50, 0.01);
}

TEST(RendezvousTest, RunnersUpAlsoFollowTheWeights) {
  std::vector<CacheNode> nodes = Nodes(3);
  nodes[2].weight = 2.0;
  RendezvousRanking ranking(nodes);
  // Where node 0's digests go when it is down: in proportion 1 to 2.
  std::vector<int> second(3);
  for (const Digest& digest : Digests()) {
    std::vector<size_t> rank = ranking.Rank(digest);
    if (rank[0] == 0) ++second[rank[1]];
  }
  const double moved = second[1] + second[2];
  EXPECT_NEAR(second[2] / moved, 2.0 / 3, 0.02);
}

TEST(RendezvousTest, RemovingANodeMovesOnlyItsDigests) {
  std::vector<CacheNode> nodes = Nodes(4);
  nodes[1].weight = 3.0;
  RendezvousRanking before(nodes);
  const std::string removed = nodes[2].address;
  nodes.erase(nodes.begin() + 2);
  RendezvousRanking after(nodes);
  int moved = 0;
  for (const Digest& digest : Digests()) {
    const std::string& old_owner = OwnerAddress(before, digest);
    const std::string& new_owner = OwnerAddress(after, digest);
    if (old_owner != removed) {
      ASSERT_EQ(new_owner, old_owner);
    } else {
      ++moved;
      // To its runner-up.
      ASSERT_EQ(new_owner, before.node(before.Rank(digest)[1]).address);
    }
  }
  EXPECT_NEAR(moved / double{kDigests}, 1.0 / 6, 0.01);
}

TEST(RendezvousTest, AddingANodeMovesDigestsOnlyToIt) {
  std::vector<CacheNode> nodes = Nodes(4);
  RendezvousRanking before(
      std::vector<CacheNode>(nodes.begin(), nodes.begin() + 3));
  RendezvousRanking after(nodes);
  int moved = 0;
  for (const Digest& digest : Digests()) {
    const std::string& old_owner = OwnerAddress(before, digest);
    const std::string& new_owner = OwnerAddress(after, digest);
    if (new_owner != old_owner) {
      ASSERT_EQ(new_owner, nodes[3].address);
      ++moved;
    }
  }
  EXPECT_NEAR(moved / double{kDigests}, 1.0 / 4, 0.01);
}

}  // namespace
}  // namespace farm::cache
