// LruIndex: which blobs a store holds, their sizes and their order of last
// use, so a byte budget can evict the least recently used first. Order is
// the position in a list, not a clock, so it is exact even when many uses
// fall in the same clock tick; a use moves a blob to the back without
// allocating (a build touches every blob of a 20,000-file context).
#ifndef FARM_CACHE_LRU_INDEX_H_
#define FARM_CACHE_LRU_INDEX_H_

#include <cstdint>
#include <optional>
#include <list>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/digest.h"

namespace farm::cache {

// Not thread-safe: the owning store guards it with its own mutex.
class LruIndex {
 public:
  // Adds a blob as the most recently used; an existing entry is refreshed.
  void Insert(const Digest& digest, uint64_t size);
  // Makes room for `count` blobs at once, for a store loading its index.
  void Reserve(size_t count) { entries_.reserve(count); }
  // Marks a blob as the most recently used. False if it is not indexed.
  bool Touch(const Digest& digest);
  bool Erase(const Digest& digest);
  std::optional<uint64_t> Size(const Digest& digest) const;
  bool Contains(const Digest& digest) const {
    return entries_.contains(digest);
  }

  // Least recently used first: the blobs to remove so that at most
  // `target_bytes` remain, skipping `keep`. Removes nothing itself.
  std::vector<std::pair<Digest, uint64_t>> Victims(
      uint64_t target_bytes, const absl::flat_hash_set<Digest>& keep) const;

  uint64_t total_bytes() const { return total_bytes_; }
  size_t count() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t size;
    std::list<Digest>::iterator use;  // its place in order_
  };
  absl::flat_hash_map<Digest, Entry> entries_;
  std::list<Digest> order_;  // least recently used first
  uint64_t total_bytes_ = 0;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_LRU_INDEX_H_
