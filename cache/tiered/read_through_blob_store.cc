#include "cache/tiered/read_through_blob_store.h"

#include "absl/container/flat_hash_set.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::cache {
namespace {

// Streams a slow store's blob to the caller and into a fast store's writer,
// which is committed only at a clean end of stream (the slow store's reader
// has checked the digest by then, and the fast writer checks it again).
class FillingReader : public ByteReader {
 public:
  FillingReader(std::unique_ptr<ByteReader> slow,
                std::unique_ptr<BlobWriter> fill, ReadThroughCounters* counters)
      : slow_(std::move(slow)), fill_(std::move(fill)), counters_(counters) {}

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    absl::StatusOr<size_t> n = slow_->Read(buf, size);
    if (!n.ok()) {
      fill_.reset();  // discarded, nothing becomes visible
      return n;
    }
    if (fill_ == nullptr) return n;
    absl::Status kept =
        *n > 0 ? fill_->Write(absl::string_view(buf, *n)) : fill_->Commit();
    if (!kept.ok()) {
      FARM_LOG(DEBUG) << "not kept in the fast tier: " << kept;
      ++counters_->fill_failures;
      fill_.reset();
    } else if (*n == 0) {
      ++counters_->fills;
      fill_.reset();
    }
    return n;
  }

 private:
  std::unique_ptr<ByteReader> slow_;
  std::unique_ptr<BlobWriter> fill_;
  ReadThroughCounters* counters_;
};

// Writes both tiers as the bytes come. A fast writer that fails is dropped
// without failing the upload; the slow one decides.
class WriteThroughWriter : public BlobWriter {
 public:
  WriteThroughWriter(std::unique_ptr<BlobWriter> slow,
                     std::unique_ptr<BlobWriter> fast,
                     ReadThroughCounters* counters)
      : slow_(std::move(slow)), fast_(std::move(fast)), counters_(counters) {}

  absl::Status Write(absl::string_view data) override {
    RETURN_IF_ERROR(slow_->Write(data));
    if (fast_ != nullptr && !fast_->Write(data).ok()) DropFast();
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    RETURN_IF_ERROR(slow_->Commit());
    if (fast_ != nullptr) {
      if (fast_->Commit().ok()) {
        ++counters_->fills;
      } else {
        DropFast();
      }
    }
    return absl::OkStatus();
  }

 private:
  void DropFast() {
    ++counters_->fill_failures;
    fast_.reset();
  }

  std::unique_ptr<BlobWriter> slow_;
  std::unique_ptr<BlobWriter> fast_;
  ReadThroughCounters* counters_;
};

}  // namespace

absl::StatusOr<std::vector<Digest>> ReadThroughBlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  absl::StatusOr<std::vector<Digest>> not_fast = fast_->FindMissing(digests);
  if (!not_fast.ok()) return slow_->FindMissing(digests);
  if (not_fast->empty()) return not_fast;
  return slow_->FindMissing(*not_fast);
}

absl::StatusOr<std::unique_ptr<ByteReader>> ReadThroughBlobStore::Get(
    const Digest& digest) {
  absl::StatusOr<std::unique_ptr<ByteReader>> fast = fast_->Get(digest);
  if (fast.ok()) {
    ++counters_.fast_hits;
    return fast;
  }
  ++counters_.slow_reads;
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> slow, slow_->Get(digest));
  absl::StatusOr<std::unique_ptr<BlobWriter>> fill = fast_->Put(digest);
  if (!fill.ok()) {
    ++counters_.fill_failures;
    return slow;
  }
  return std::unique_ptr<ByteReader>(
      new FillingReader(std::move(slow), *std::move(fill), &counters_));
}

absl::StatusOr<std::unique_ptr<BlobWriter>> ReadThroughBlobStore::Put(
    const Digest& digest) {
  // The fast tier holds only what the slow one had, so a blob it holds
  // needs no upload: its writer still checks the bytes against the digest.
  // A rebuild stores its manifest and config again; this saves it two
  // round trips to the object store.
  if (fast_->Stat(digest).ok()) return fast_->Put(digest);
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> slow, slow_->Put(digest));
  absl::StatusOr<std::unique_ptr<BlobWriter>> fast = fast_->Put(digest);
  if (!fast.ok()) ++counters_.fill_failures;
  return std::unique_ptr<BlobWriter>(new WriteThroughWriter(
      std::move(slow), fast.ok() ? *std::move(fast) : nullptr, &counters_));
}

absl::Status ReadThroughBlobStore::Delete(const Digest& digest) {
  absl::Status slow = slow_->Delete(digest);
  absl::Status fast = fast_->Delete(digest);
  return slow.ok() ? fast : slow;
}

absl::StatusOr<BlobInfo> ReadThroughBlobStore::Stat(const Digest& digest) {
  absl::StatusOr<BlobInfo> fast = fast_->Stat(digest);
  if (fast.ok()) return fast;
  return slow_->Stat(digest);
}

absl::Status ReadThroughBlobStore::PutFile(const Digest& digest,
                                           const std::string& path) {
  if (fast_->Stat(digest).ok()) return fast_->PutFile(digest, path);
  RETURN_IF_ERROR(slow_->PutFile(digest, path));
  if (fast_->PutFile(digest, path).ok()) {
    ++counters_.fills;
  } else {
    ++counters_.fill_failures;
  }
  return absl::OkStatus();
}

std::vector<absl::StatusOr<std::string>> ReadThroughBlobStore::GetSmall(
    absl::Span<const Digest> digests) {
  std::vector<absl::StatusOr<std::string>> blobs = fast_->GetSmall(digests);
  std::vector<size_t> missed;
  std::vector<Digest> slow_digests;
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (blobs[i].ok()) {
      ++counters_.fast_hits;
      continue;
    }
    missed.push_back(i);
    slow_digests.push_back(digests[i]);
  }
  if (missed.empty()) return blobs;
  counters_.slow_reads += missed.size();
  std::vector<absl::StatusOr<std::string>> slow = slow_->GetSmall(slow_digests);
  for (size_t j = 0; j < missed.size(); ++j) {
    if (slow[j].ok()) {
      if (PutBlob(*fast_, *slow[j]).ok()) {
        ++counters_.fills;
      } else {
        ++counters_.fill_failures;
      }
    }
    blobs[missed[j]] = std::move(slow[j]);
  }
  return blobs;
}

}  // namespace farm::cache
