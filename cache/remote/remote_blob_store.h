// RemoteBlobStore: a BlobStore served by a farm-cache over gRPC, so a worker
// uses a shared cache through the same interface as a local one. Small
// blobs travel in BatchRead/BatchUpdate calls, large ones in Read/Write
// streams; the choice is made by size, without an extra round trip.
#ifndef FARM_CACHE_REMOTE_REMOTE_BLOB_STORE_H_
#define FARM_CACHE_REMOTE_REMOTE_BLOB_STORE_H_

#include <grpcpp/channel.h>

#include <memory>

#include "cache/blob_store.h"
#include "cache/remote/channel.h"
#include "proto/cache.grpc.pb.h"

namespace farm::cache {

// Thread-safe. Server errors arrive with their code and message unchanged
// (kUnavailable when the server cannot be reached). Readers also verify the
// digest; a mismatch seen only by the client (never by the server) is
// kDataLoss without removal, since the server's copy checked out.
class RemoteBlobStore : public BlobStore {
 public:
  RemoteBlobStore(std::shared_ptr<grpc::Channel> channel,
                  RemoteOptions options);
  explicit RemoteBlobStore(std::shared_ptr<grpc::Channel> channel)
      : RemoteBlobStore(std::move(channel), RemoteOptions()) {}

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;
  // One BatchRead for all of `digests`; a blob the server sends no bytes
  // for (over its batch budget) is read with Get.
  std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests) override;

 private:
  std::unique_ptr<proto::CacheService::Stub> stub_;
  RemoteOptions options_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_REMOTE_REMOTE_BLOB_STORE_H_
