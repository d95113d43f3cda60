#include "image/compress/compression.h"

#include "image/compress/gzip_writer.h"
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
                                          const CompressOptions& options) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<ParallelGzipWriter>(out, options);
    case Compression::kZstd:
      return std::make_unique<ZstdWriter>(out, options);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainWriter>(out);
}

}  // namespace farm::image::compress
