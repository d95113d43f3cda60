// Digest: a content address, "sha256:<64 hex>", as OCI and the layer cache
// use it. Hashing goes through OpenSSL's EVP interface.
#ifndef FARM_COMMON_DIGEST_H_
#define FARM_COMMON_DIGEST_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm {

class Digest {
 public:
  // The empty digest; `empty()` is true for it.
  Digest() = default;

  // Parses "sha256:<64 lowercase hex>". Other algorithms are kInvalidArgument.
  static absl::StatusOr<Digest> Parse(absl::string_view text);
  // Builds from a raw 32-byte sha256 value.
  static Digest FromRawSha256(absl::string_view raw32);
  // Hashes `data` in one go.
  static Digest Of(absl::string_view data);

  bool empty() const { return hex_.empty(); }
  // "sha256:<hex>"
  std::string ToString() const;
  // The 64 hex characters alone.
  const std::string& hex() const { return hex_; }
  std::string algorithm() const { return "sha256"; }

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.hex_ == b.hex_;
  }
  friend bool operator!=(const Digest& a, const Digest& b) { return !(a == b); }
  friend bool operator<(const Digest& a, const Digest& b) {
    return a.hex_ < b.hex_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.hex_);
  }

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

// Sha256Hasher: incremental sha256 for streams. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(absl::string_view data);
  void Update(const void* data, size_t size);
  // Ends the stream; the hasher must not be updated afterwards.
  Digest Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t bytes_ = 0;
};

// Hashes a whole file; kNotFound if it does not exist.
absl::StatusOr<Digest> DigestFile(const std::string& path);

}  // namespace farm

#endif  // FARM_COMMON_DIGEST_H_
