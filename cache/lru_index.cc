#include "cache/lru_index.h"

#include <iterator>

namespace farm::cache {

void LruIndex::Insert(const Digest& digest, uint64_t size) {
  Erase(digest);
  order_.push_back(digest);
  entries_.emplace(digest, Entry{size, std::prev(order_.end())});
  total_bytes_ += size;
}

bool LruIndex::Touch(const Digest& digest) {
  auto it = entries_.find(digest);
  if (it == entries_.end()) return false;
  order_.splice(order_.end(), order_, it->second.use);
  return true;
}

bool LruIndex::Erase(const Digest& digest) {
  auto it = entries_.find(digest);
  if (it == entries_.end()) return false;
  order_.erase(it->second.use);
  total_bytes_ -= it->second.size;
  entries_.erase(it);
  return true;
}

std::optional<uint64_t> LruIndex::Size(const Digest& digest) const {
  auto it = entries_.find(digest);
  if (it == entries_.end()) return std::nullopt;
  return it->second.size;
}

std::vector<std::pair<Digest, uint64_t>> LruIndex::Victims(
    uint64_t target_bytes, const absl::flat_hash_set<Digest>& keep) const {
  std::vector<std::pair<Digest, uint64_t>> victims;
  uint64_t remaining = total_bytes_;
  for (auto it = order_.begin(); it != order_.end() && remaining > target_bytes;
       ++it) {
    const Digest& digest = *it;
    if (keep.contains(digest)) continue;
    uint64_t size = entries_.at(digest).size;
    victims.emplace_back(digest, size);
    remaining -= size;
  }
  return victims;
}

}  // namespace farm::cache
