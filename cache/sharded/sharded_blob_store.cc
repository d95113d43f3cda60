#include "cache/sharded/sharded_blob_store.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cache/sharded/failover_blob_writer.h"
#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<std::unique_ptr<ShardedBlobStore>> ShardedBlobStore::Create(
    std::vector<CacheNode> nodes, std::vector<BlobStore*> stores,
    NodeHealth* health, Options options) {
  if (stores.size() != nodes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        stores.size(), " blob stores for ", nodes.size(), " cache nodes"));
  }
  ASSIGN_OR_RETURN(ShardRouter router,
                   ShardRouter::Create(std::move(nodes), health));
  return std::unique_ptr<ShardedBlobStore>(
      new ShardedBlobStore(std::move(router), std::move(stores), options));
}

absl::StatusOr<std::vector<Digest>> ShardedBlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  // Each digest asked once, in the order of its first appearance.
  std::vector<Digest> unique;
  absl::flat_hash_set<Digest> seen;
  for (const Digest& digest : digests) {
    if (seen.insert(digest).second) unique.push_back(digest);
  }
  // Per digest: missing or not.
  std::vector<absl::StatusOr<bool>> missing =
      router_.Batched<absl::StatusOr<bool>>(
          unique, "finding blob",
          [this](size_t node, absl::Span<const Digest> group) {
            absl::StatusOr<std::vector<Digest>> absent =
                stores_[node]->FindMissing(group);
            if (!absent.ok()) {
              return std::vector<absl::StatusOr<bool>>(group.size(),
                                                       absent.status());
            }
            absl::flat_hash_set<Digest> set(absent->begin(), absent->end());
            std::vector<absl::StatusOr<bool>> out;
            out.reserve(group.size());
            for (const Digest& digest : group)
              out.push_back(set.contains(digest));
            return out;
          });
  std::vector<Digest> out;
  for (size_t i = 0; i < unique.size(); ++i) {
    RETURN_IF_ERROR(missing[i].status());
    if (*missing[i]) out.push_back(unique[i]);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ByteReader>> ShardedBlobStore::Get(
    const Digest& digest) {
  return router_.FirstAnswer<absl::StatusOr<std::unique_ptr<ByteReader>>>(
      digest, "reading blob",
      [&](size_t node) { return stores_[node]->Get(digest); });
}

absl::StatusOr<std::unique_ptr<BlobWriter>> ShardedBlobStore::Put(
    const Digest& digest) {
  return FailoverBlobWriter::Open(&router_, &stores_, digest,
                                  options_.replay_bytes);
}

absl::Status ShardedBlobStore::Delete(const Digest& digest) {
  return router_.FirstAnswer<absl::Status>(
      digest, "deleting blob",
      [&](size_t node) { return stores_[node]->Delete(digest); });
}

absl::StatusOr<BlobInfo> ShardedBlobStore::Stat(const Digest& digest) {
  return router_.FirstAnswer<absl::StatusOr<BlobInfo>>(
      digest, "looking up blob",
      [&](size_t node) { return stores_[node]->Stat(digest); });
}

absl::Status ShardedBlobStore::PutFile(const Digest& digest,
                                       const std::string& path) {
  return router_.FirstAnswer<absl::Status>(
      digest, "putting file",
      [&](size_t node) { return stores_[node]->PutFile(digest, path); });
}

std::vector<absl::StatusOr<std::string>> ShardedBlobStore::GetSmall(
    absl::Span<const Digest> digests) {
  return router_.Batched<absl::StatusOr<std::string>>(
      digests, "reading blob",
      [this](size_t node, absl::Span<const Digest> group) {
        return stores_[node]->GetSmall(group);
      });
}

}  // namespace farm::cache
