// The two streaming halves of RemoteBlobStore: a ByteReader over a Read
// server stream and a BlobWriter that batches small blobs and streams large
// ones over Write.
#ifndef FARM_CACHE_REMOTE_REMOTE_STREAMS_H_
#define FARM_CACHE_REMOTE_REMOTE_STREAMS_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <string>

#include "cache/blob_store.h"
#include "cache/remote/remote_blob_store.h"
#include "proto/cache.grpc.pb.h"

namespace farm::cache {

// Streams one blob's bytes as the server sends them; the server's final
// status (kDataLoss for a corrupt blob) is returned by the last Read. The
// stub must outlive the reader.
class RemoteBlobReader : public ByteReader {
 public:
  RemoteBlobReader(proto::CacheService::Stub* stub, const Digest& digest);
  ~RemoteBlobReader() override;
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<proto::ReadResponse>> reader_;
  proto::ReadResponse message_;
  size_t offset_ = 0;
  bool finished_ = false;
  absl::Status error_;
};

// Buffers up to max_batch_bytes; a blob that stays that small is sent by one
// BatchUpdate at Commit, a larger one switches to a Write stream. Destroying
// the writer before Commit cancels the stream, so the server discards it.
class RemoteBlobWriter : public BlobWriter {
 public:
  RemoteBlobWriter(proto::CacheService::Stub* stub, const Digest& digest,
                   const RemoteOptions& options);
  ~RemoteBlobWriter() override;
  absl::Status Write(absl::string_view data) override;
  absl::Status Commit() override;

 private:
  absl::Status Send(absl::string_view data);
  absl::Status FinishStream();

  proto::CacheService::Stub* stub_;
  Digest digest_;
  RemoteOptions options_;
  std::string buffer_;
  bool committed_ = false;
  absl::Status error_;
  // Set once the blob outgrows a batch.
  std::unique_ptr<grpc::ClientContext> context_;
  proto::WriteResponse response_;
  std::unique_ptr<grpc::ClientWriter<proto::WriteRequest>> stream_;
  bool sent_digest_ = false;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_REMOTE_REMOTE_STREAMS_H_
