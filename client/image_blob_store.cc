#include "client/image_blob_store.h"

#include "cache/verifying_stream.h"
#include "common/grpc_status.h"
#include "common/grpc_streams.h"
#include "grpcpp/client_context.h"

namespace farm::client {

namespace {

// A server stream of one blob, ended by the call's status.
class BlobStreamReader : public ByteReader {
 public:
  BlobStreamReader(proto::ImageService::Stub* stub,
                   const proto::ReadImageBlobRequest& request)
      : stream_(stub->ReadImageBlob(&context_, request)),
        bytes_(stream_.get()) {}
  ~BlobStreamReader() override {
    if (!finished_) {
      context_.TryCancel();
      stream_->Finish().ok();
    }
  }
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    absl::StatusOr<size_t> n = bytes_.Read(buf, size);
    if (!n.ok() || *n > 0 || finished_) return n;
    finished_ = true;
    absl::Status status = FromGrpcStatus(stream_->Finish());
    if (!status.ok()) return status;
    return 0;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<proto::ArchiveChunk>> stream_;
  MessageByteReader<proto::ArchiveChunk> bytes_;
  bool finished_ = false;
};

absl::Status ReadOnly() {
  return absl::UnimplementedError(
      "an image's blobs, as the farm hands them to a client, are read-only");
}

}  // namespace

ImageBlobStore::ImageBlobStore(std::shared_ptr<grpc::Channel> channel,
                               std::string reference)
    : stub_(proto::ImageService::NewStub(std::move(channel))),
      reference_(std::move(reference)) {}

absl::StatusOr<std::unique_ptr<ByteReader>> ImageBlobStore::Get(
    const Digest& digest) {
  proto::ReadImageBlobRequest request;
  request.set_reference(reference_);
  request.set_digest(digest.ToString());
  auto stream = std::make_unique<BlobStreamReader>(stub_.get(), request);
  return std::make_unique<cache::VerifyingReader>(std::move(stream), digest,
                                                  nullptr);
}

absl::StatusOr<std::vector<Digest>> ImageBlobStore::FindMissing(
    absl::Span<const Digest>) {
  return ReadOnly();
}

absl::StatusOr<std::unique_ptr<cache::BlobWriter>> ImageBlobStore::Put(
    const Digest&) {
  return ReadOnly();
}

absl::Status ImageBlobStore::Delete(const Digest&) { return ReadOnly(); }

absl::StatusOr<cache::BlobInfo> ImageBlobStore::Stat(const Digest&) {
  return ReadOnly();
}

}  // namespace farm::client
