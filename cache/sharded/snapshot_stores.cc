#include "cache/sharded/snapshot_stores.h"

#include <utility>

#include "common/status_macros.h"

namespace farm::cache {
namespace {

using Snapshot = std::shared_ptr<const ShardedSnapshot>;

// A reader that holds the snapshot its store belongs to.
class PinnedReader : public ByteReader {
 public:
  PinnedReader(Snapshot snapshot, std::unique_ptr<ByteReader> inner)
      : snapshot_(std::move(snapshot)), inner_(std::move(inner)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    return inner_->Read(buf, size);
  }

 private:
  Snapshot snapshot_;  // declared first: outlives inner_
  std::unique_ptr<ByteReader> inner_;
};

class PinnedWriter : public BlobWriter {
 public:
  PinnedWriter(Snapshot snapshot, std::unique_ptr<BlobWriter> inner)
      : snapshot_(std::move(snapshot)), inner_(std::move(inner)) {}
  absl::Status Write(absl::string_view data) override {
    return inner_->Write(data);
  }
  absl::Status Commit() override { return inner_->Commit(); }

 private:
  Snapshot snapshot_;
  std::unique_ptr<BlobWriter> inner_;
};

}  // namespace

absl::StatusOr<std::vector<Digest>> SnapshotBlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->blobs()->FindMissing(digests);
}

absl::StatusOr<std::unique_ptr<ByteReader>> SnapshotBlobStore::Get(
    const Digest& digest) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, s->blobs()->Get(digest));
  return std::unique_ptr<ByteReader>(
      new PinnedReader(std::move(s), std::move(reader)));
}

absl::StatusOr<std::unique_ptr<BlobWriter>> SnapshotBlobStore::Put(
    const Digest& digest) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, s->blobs()->Put(digest));
  return std::unique_ptr<BlobWriter>(
      new PinnedWriter(std::move(s), std::move(writer)));
}

absl::Status SnapshotBlobStore::Delete(const Digest& digest) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->blobs()->Delete(digest);
}

absl::StatusOr<BlobInfo> SnapshotBlobStore::Stat(const Digest& digest) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->blobs()->Stat(digest);
}

absl::Status SnapshotBlobStore::PutFile(const Digest& digest,
                                        const std::string& path) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->blobs()->PutFile(digest, path);
}

std::vector<absl::StatusOr<std::string>> SnapshotBlobStore::GetSmall(
    absl::Span<const Digest> digests) {
  absl::StatusOr<Snapshot> s = source_->Acquire();
  if (!s.ok()) {
    return std::vector<absl::StatusOr<std::string>>(digests.size(), s.status());
  }
  return (*s)->blobs()->GetSmall(digests);
}

absl::StatusOr<proto::ActionResult> SnapshotActionCache::Get(
    const Digest& key) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->actions()->Get(key);
}

std::vector<absl::StatusOr<proto::ActionResult>> SnapshotActionCache::GetMany(
    absl::Span<const Digest> keys) {
  absl::StatusOr<Snapshot> s = source_->Acquire();
  if (!s.ok()) {
    return std::vector<absl::StatusOr<proto::ActionResult>>(keys.size(),
                                                            s.status());
  }
  return (*s)->actions()->GetMany(keys);
}

absl::Status SnapshotActionCache::Update(const Digest& key,
                                         const proto::ActionResult& result) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->actions()->Update(key, result);
}

absl::StatusOr<CacheStats> SnapshotCacheAdmin::Stats() {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->admin()->Stats();
}

absl::StatusOr<PruneResult> SnapshotCacheAdmin::Prune(
    const PruneOptions& options) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->admin()->Prune(options);
}

absl::Status SnapshotCacheAdmin::SetPins(const std::string& owner,
                                         absl::flat_hash_set<Digest> digests) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->admin()->SetPins(owner, std::move(digests));
}

absl::Status SnapshotCacheAdmin::Delete(const std::vector<Digest>& digests) {
  ASSIGN_OR_RETURN(Snapshot s, source_->Acquire());
  return s->admin()->Delete(digests);
}

}  // namespace farm::cache
