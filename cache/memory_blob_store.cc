#include "cache/memory_blob_store.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/verifying_stream.h"

namespace farm::cache {
namespace {

// Reads a shared, immutable string; keeps it alive after a Delete.
class SharedStringReader : public ByteReader {
 public:
  explicit SharedStringReader(std::shared_ptr<const std::string> data)
      : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    size_t n = std::min(size, data_->size() - offset_);
    memcpy(buf, data_->data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::shared_ptr<const std::string> data_;
  size_t offset_ = 0;
};

absl::Status NotStored(const Digest& digest) {
  return absl::NotFoundError(
      absl::StrCat("blob ", digest.ToString(), " is not in the cache"));
}

}  // namespace

class MemoryBlobStore::Writer : public HashingBlobWriter {
 public:
  Writer(MemoryBlobStore* store, const Digest& digest)
      : HashingBlobWriter(digest), store_(store) {}

 private:
  absl::Status Append(absl::string_view data) override {
    buffer_.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Finish(uint64_t size) override {
    absl::Status inserted = store_->Insert(
        expected(), std::make_shared<const std::string>(std::move(buffer_)));
    if (inserted.ok()) {
      CacheCounters::Add(store_->counters_->bytes_written, size);
    }
    return inserted;
  }

  MemoryBlobStore* store_;
  std::string buffer_;
};

MemoryBlobStore::MemoryBlobStore(uint64_t max_bytes, CacheCounters* counters)
    : max_bytes_(max_bytes) {
  if (counters == nullptr) {
    own_counters_ = std::make_unique<CacheCounters>();
    counters = own_counters_.get();
  }
  counters_ = counters;
}

absl::StatusOr<std::vector<Digest>> MemoryBlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  absl::MutexLock lock(&mu_);
  std::vector<Digest> missing;
  absl::flat_hash_set<Digest> seen;
  for (const Digest& digest : digests) {
    if (index_.Touch(digest) || !seen.insert(digest).second) continue;
    missing.push_back(digest);
  }
  return missing;
}

absl::StatusOr<std::unique_ptr<ByteReader>> MemoryBlobStore::Get(
    const Digest& digest) {
  Data data;
  {
    absl::MutexLock lock(&mu_);
    auto it = blobs_.find(digest);
    if (it == blobs_.end()) {
      CacheCounters::Add(counters_->blob_misses);
      return NotStored(digest);
    }
    index_.Touch(digest);
    data = it->second;
  }
  CacheCounters::Add(counters_->blob_hits);
  return std::make_unique<VerifyingReader>(
      std::make_unique<SharedStringReader>(data), digest,
      [this, digest, data] { RemoveCorrupt(digest, data); },
      &counters_->bytes_read);
}

absl::StatusOr<std::unique_ptr<BlobWriter>> MemoryBlobStore::Put(
    const Digest& digest) {
  return std::make_unique<Writer>(this, digest);
}

absl::Status MemoryBlobStore::Delete(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  blobs_.erase(digest);
  index_.Erase(digest);
  return absl::OkStatus();
}

absl::StatusOr<BlobInfo> MemoryBlobStore::Stat(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  std::optional<uint64_t> size = index_.Size(digest);
  if (!size.has_value()) return NotStored(digest);
  return BlobInfo{digest, *size};
}

bool MemoryBlobStore::Contains(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  return index_.Contains(digest);
}

void MemoryBlobStore::FillStats(CacheStats& stats) {
  absl::MutexLock lock(&mu_);
  stats.blob_count = index_.count();
  stats.blob_bytes = index_.total_bytes();
  stats.max_bytes = max_bytes_;
}

absl::Status MemoryBlobStore::Insert(const Digest& digest, Data data) {
  if (max_bytes_ != 0 && data->size() > max_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("blob ", digest.ToString(), " of ", data->size(),
                     " bytes exceeds the cache budget of ", max_bytes_));
  }
  absl::MutexLock lock(&mu_);
  if (blobs_.contains(digest)) {
    index_.Touch(digest);
    return absl::OkStatus();
  }
  index_.Insert(digest, data->size());
  blobs_.emplace(digest, std::move(data));
  if (max_bytes_ != 0) {
    absl::flat_hash_set<Digest> keep = pinned_;
    keep.insert(digest);
    EvictLocked(max_bytes_, keep);
  }
  return absl::OkStatus();
}

void MemoryBlobStore::RemoveCorrupt(const Digest& digest, const Data& seen) {
  absl::MutexLock lock(&mu_);
  auto it = blobs_.find(digest);
  // A fresh, good copy may have replaced the one that was read.
  if (it == blobs_.end() || it->second != seen) return;
  blobs_.erase(it);
  index_.Erase(digest);
  CacheCounters::Add(counters_->corrupt_blobs);
}

void MemoryBlobStore::SetPinned(absl::flat_hash_set<Digest> pinned) {
  absl::MutexLock lock(&mu_);
  pinned_ = std::move(pinned);
}

PruneResult MemoryBlobStore::EvictTo(uint64_t target_bytes,
                                     const absl::flat_hash_set<Digest>& keep) {
  absl::MutexLock lock(&mu_);
  return EvictLocked(target_bytes, keep);
}

PruneResult MemoryBlobStore::EvictLocked(
    uint64_t target_bytes, const absl::flat_hash_set<Digest>& keep) {
  PruneResult result;
  for (const auto& [digest, size] : index_.Victims(target_bytes, keep)) {
    blobs_.erase(digest);
    index_.Erase(digest);
    ++result.blobs_removed;
    result.bytes_removed += size;
  }
  CacheCounters::Add(counters_->evictions, result.blobs_removed);
  CacheCounters::Add(counters_->evicted_bytes, result.bytes_removed);
  return result;
}

absl::Status MemoryBlobStore::CorruptForTesting(const Digest& digest,
                                                size_t offset) {
  absl::MutexLock lock(&mu_);
  auto it = blobs_.find(digest);
  if (it == blobs_.end()) return NotStored(digest);
  if (offset >= it->second->size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "offset ", offset, " is past the end of ", digest.ToString()));
  }
  auto copy = std::make_shared<std::string>(*it->second);
  (*copy)[offset] = static_cast<char>(~(*copy)[offset]);
  it->second = std::move(copy);
  return absl::OkStatus();
}

}  // namespace farm::cache
