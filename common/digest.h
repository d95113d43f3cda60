// Digest: a content address, "sha256:<64 hex>", as OCI and the layer cache
// use it. Hashing goes through OpenSSL's EVP interface.
#ifndef FARM_COMMON_DIGEST_H_
#define FARM_COMMON_DIGEST_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm {

class Digest {
 public:
  // The empty digest; `empty()` is true for it.
  Digest() = default;

  // Parses "sha256:<64 lowercase hex>". Other algorithms are kInvalidArgument.
  static absl::StatusOr<Digest> Parse(absl::string_view text);
  // Parses the 64 lowercase hex characters alone, as hex() gives them.
  static absl::StatusOr<Digest> ParseHex(absl::string_view hex);
  // Builds from a raw 32-byte sha256 value.
  static Digest FromRawSha256(absl::string_view raw32);
  // Hashes `data` in one go.
  static Digest Of(absl::string_view data);

  bool empty() const { return !set_; }
  // "sha256:<hex>"
  std::string ToString() const;
  // The 64 hex characters alone.
  std::string hex() const;
  // The 32 bytes of the sha256 value.
  absl::string_view raw() const {
    return absl::string_view(reinterpret_cast<const char*>(raw_.data()),
                             raw_.size());
  }
  std::string algorithm() const { return "sha256"; }

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.set_ == b.set_ && a.raw_ == b.raw_;
  }
  friend bool operator!=(const Digest& a, const Digest& b) { return !(a == b); }
  // The order of the hex forms, which is the order of the bytes.
  friend bool operator<(const Digest& a, const Digest& b) {
    return std::tie(a.set_, a.raw_) < std::tie(b.set_, b.raw_);
  }
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.set_, d.raw());
  }

 private:
  // Held as bytes, not hex: indexes keep tens of thousands of digests, and
  // a string of 64 characters would be one more allocation each.
  // Appends the 64 hex characters to `out`.
  void AppendHex(std::string* out) const;

  std::array<uint8_t, 32> raw_{};
  bool set_ = false;
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
