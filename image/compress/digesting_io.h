// Readers and writers that compute a sha256 digest and byte count of what
// flows through them, so a layer's digest and diffID come from one pass.
#ifndef FARM_IMAGE_COMPRESS_DIGESTING_IO_H_
#define FARM_IMAGE_COMPRESS_DIGESTING_IO_H_

#include <cstdint>

#include "common/digest.h"
#include "common/io.h"

namespace farm::image::compress {

// Hashes bytes on their way to `out` (not owned; may be null to only hash).
// Close() does not close `out`.
class DigestingWriter : public ByteWriter {
 public:
  explicit DigestingWriter(ByteWriter* out = nullptr) : out_(out) {}
  absl::Status Write(absl::string_view data) override {
    hasher_.Update(data);
    return out_ == nullptr ? absl::OkStatus() : out_->Write(data);
  }
  absl::Status Close() override { return absl::OkStatus(); }
  uint64_t bytes() const { return hasher_.bytes(); }
  // Ends hashing; call once, after the last Write.
  Digest Finish() { return hasher_.Finish(); }

 private:
  ByteWriter* out_;
  Sha256Hasher hasher_;
};

// Hashes bytes read through it from `in` (not owned).
class DigestingReader : public ByteReader {
 public:
  explicit DigestingReader(ByteReader* in) : in_(in) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    absl::StatusOr<size_t> n = in_->Read(buf, size);
    if (n.ok()) hasher_.Update(buf, *n);
    return n;
  }
  uint64_t bytes() const { return hasher_.bytes(); }
  Digest Finish() { return hasher_.Finish(); }

 private:
  ByteReader* in_;
  Sha256Hasher hasher_;
};

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_DIGESTING_IO_H_
