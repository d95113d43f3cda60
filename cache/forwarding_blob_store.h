// ForwardingBlobStore: a BlobStore that passes every call on to another, so
// that a decorator overrides only the calls it changes.
#ifndef FARM_CACHE_FORWARDING_BLOB_STORE_H_
#define FARM_CACHE_FORWARDING_BLOB_STORE_H_

#include <memory>
#include <vector>

#include "cache/blob_store.h"

namespace farm::cache {

class ForwardingBlobStore : public BlobStore {
 public:
  // `inner` is not owned and must outlive this store.
  explicit ForwardingBlobStore(BlobStore* inner) : inner_(inner) {}

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override {
    return inner_->FindMissing(digests);
  }
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override {
    return inner_->Get(digest);
  }
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override {
    return inner_->Put(digest);
  }
  absl::Status Delete(const Digest& digest) override {
    return inner_->Delete(digest);
  }
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override {
    return inner_->Stat(digest);
  }

 protected:
  BlobStore* inner() const { return inner_; }

 private:
  BlobStore* inner_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_FORWARDING_BLOB_STORE_H_
