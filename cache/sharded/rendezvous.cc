#include "cache/sharded/rendezvous.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace farm::cache {
namespace {

// The first 8 bytes of a sha256 as a little-endian number: already uniform.
uint64_t Leading64(absl::string_view raw) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<uint8_t>(raw[i]);
  }
  return value;
}

// SplitMix64's finalizer: a bijection in which every input bit flips about
// half the output bits, so the node keys' xor with a digest gives scores
// that behave as independent across nodes.
uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

RendezvousRanking::RendezvousRanking(std::vector<CacheNode> nodes)
    : nodes_(std::move(nodes)) {
  node_keys_.reserve(nodes_.size());
  for (const CacheNode& node : nodes_) {
    node_keys_.push_back(Leading64(Digest::Of(node.address).raw()));
  }
}

double RendezvousRanking::Score(size_t node, uint64_t digest_key) const {
  uint64_t hash = Mix64(node_keys_[node] ^ digest_key);
  // The top 53 bits, centred in their interval: u is never 0 or 1.
  double u = (static_cast<double>(hash >> 11) + 0.5) * 0x1.0p-53;
  return -nodes_[node].weight / std::log(u);
}

bool RendezvousRanking::Before(size_t a, double score_a, size_t b,
                               double score_b) const {
  if (score_a != score_b) return score_a > score_b;
  return nodes_[a].address < nodes_[b].address;
}

std::vector<size_t> RendezvousRanking::Rank(const Digest& digest) const {
  const uint64_t key = Leading64(digest.raw());
  std::vector<std::pair<double, size_t>> scored;
  scored.reserve(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    scored.emplace_back(Score(i, key), i);
  }
  std::sort(scored.begin(), scored.end(), [this](const auto& x, const auto& y) {
    return Before(x.second, x.first, y.second, y.first);
  });
  std::vector<size_t> order;
  order.reserve(scored.size());
  for (const auto& [score, node] : scored) order.push_back(node);
  return order;
}

size_t RendezvousRanking::Owner(const Digest& digest) const {
  const uint64_t key = Leading64(digest.raw());
  size_t best = 0;
  double best_score = Score(0, key);
  for (size_t i = 1; i < nodes_.size(); ++i) {
    double score = Score(i, key);
    if (Before(i, score, best, best_score)) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

}  // namespace farm::cache
