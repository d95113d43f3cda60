// ImageBlobStore: the blobs of one image, read through the farm's
// ImageService (ReadImageBlob), so `farm run` needs no access to the CAS:
// the farm hands a client only the blobs of an image its tenant holds.
// Read-only: a BlobStore whose Get is the only method that works.
#ifndef FARM_CLIENT_IMAGE_BLOB_STORE_H_
#define FARM_CLIENT_IMAGE_BLOB_STORE_H_

#include <memory>
#include <string>

#include "cache/blob_store.h"
#include "grpcpp/channel.h"
#include "proto/image.grpc.pb.h"

namespace farm::client {

class ImageBlobStore : public cache::BlobStore {
 public:
  ImageBlobStore(std::shared_ptr<grpc::Channel> channel, std::string reference);

  // Streams the blob, verifying its digest. kNotFound when it is not part
  // of the image; the farm's other errors as they are.
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  // kUnimplemented: the store is a read-only view.
  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<cache::BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<cache::BlobInfo> Stat(const Digest& digest) override;

 private:
  std::unique_ptr<proto::ImageService::Stub> stub_;
  std::string reference_;
};

}  // namespace farm::client

#endif  // FARM_CLIENT_IMAGE_BLOB_STORE_H_
