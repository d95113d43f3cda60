// Streaming decompression of layer blobs: gzip (ISA-L's inflate, several
// members allowed, CRC and size checked) and zstd (any number of frames),
// as a pull ByteReader and as a push ByteWriter over one codec core.
#ifndef FARM_IMAGE_COMPRESS_DECOMPRESSOR_H_
#define FARM_IMAGE_COMPRESS_DECOMPRESSOR_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/io.h"
#include "image/compress/compression.h"

namespace farm::image::compress {

// One codec's state. Not thread-safe.
class Decompressor {
 public:
  virtual ~Decompressor() = default;
  // Consumes a prefix of `*in` (advancing it) and writes up to `size` bytes
  // to `out`; returns the bytes written. May return 0 while input remains
  // only if the codec needs more input. kDataLoss for corrupt input.
  virtual absl::StatusOr<size_t> Step(absl::string_view* in, char* out,
                                      size_t size) = 0;
  // Called once all input has been given and Step has returned 0 with empty
  // input: kDataLoss if the stream stopped mid-way.
  virtual absl::Status Finish() = 0;
};

std::unique_ptr<Decompressor> NewDecompressor(Compression c);

// Reads decompressed bytes from a compressed source. With no codec given it
// sniffs the first bytes (DetectCompression).
class DecompressingReader : public ByteReader {
 public:
  DecompressingReader(std::unique_ptr<ByteReader> source,
                      std::optional<Compression> codec = std::nullopt);
  // `source` not owned.
  DecompressingReader(ByteReader* source,
                      std::optional<Compression> codec = std::nullopt);
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;
  // The codec in use (after the first Read when sniffing).
  std::optional<Compression> codec() const { return codec_; }

 private:
  absl::Status Fill();

  std::unique_ptr<ByteReader> owned_;
  ByteReader* source_;
  std::optional<Compression> codec_;
  std::unique_ptr<Decompressor> core_;
  std::string in_buf_;
  absl::string_view in_;
  bool source_done_ = false;
  bool finished_ = false;
  absl::Status status_;
};

// Decompresses what is written to it into `sink` (not owned, not closed).
class DecompressingWriter : public ByteWriter {
 public:
  DecompressingWriter(Compression codec, ByteWriter* sink);
  absl::Status Write(absl::string_view data) override;
  // kDataLoss if the compressed stream is incomplete.
  absl::Status Close() override;

 private:
  std::unique_ptr<Decompressor> core_;
  ByteWriter* sink_;
  std::string out_buf_;
  absl::Status status_;
};

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_DECOMPRESSOR_H_
