#include "image/compress/compression.h"

#include <utility>

#include "image/compress/gzip_writer.h"
#include "image/compress/hashing_pipe.h"
#include "image/compress/zstd_writer.h"

namespace farm::image::compress {
namespace {

// Passes bytes through to the wrapped writer; Close() does not close it.
class PlainWriter : public ByteWriter {
 public:
  explicit PlainWriter(ByteWriter* out) : out_(out) {}
  absl::Status Write(absl::string_view data) override {
    return out_->Write(data);
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  ByteWriter* out_;
};

// Hashes what it is given, then hands it to the compressor it owns.
class HashingFront : public ByteWriter {
 public:
  HashingFront(std::unique_ptr<ByteWriter> next, Sha256Hasher* hash)
      : next_(std::move(next)), hash_(hash) {}
  absl::Status Write(absl::string_view data) override {
    hash_->Update(data);
    return next_->Write(data);
  }
  absl::Status Close() override { return next_->Close(); }

 private:
  std::unique_ptr<ByteWriter> next_;
  Sha256Hasher* hash_;
};

}  // namespace

absl::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

Compression DetectCompression(absl::string_view head) {
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') {
    return Compression::kGzip;
  }
  if (head.size() >= 4 && head.substr(0, 4) == "\x28\xb5\x2f\xfd") {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

std::unique_ptr<ByteWriter> NewCompressor(Compression c, ByteWriter* out,
                                          const CompressOptions& options,
                                          Sha256Hasher* input_hash) {
  std::unique_ptr<ByteWriter> writer;
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<ParallelGzipWriter>(out, options, input_hash);
    case Compression::kZstd:
      writer = std::make_unique<ZstdWriter>(out, options);
      break;
    case Compression::kNone:
      if (input_hash != nullptr) return NewHashingPipe(out, input_hash);
      writer = std::make_unique<PlainWriter>(out);
      break;
  }
  if (input_hash == nullptr) return writer;
  return std::make_unique<HashingFront>(std::move(writer), input_hash);
}

}  // namespace farm::image::compress
