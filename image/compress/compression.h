// Compression of layer blobs: which codec, how to detect it from the first
// bytes, and the factories for streaming compressors and decompressors.
#ifndef FARM_IMAGE_COMPRESS_COMPRESSION_H_
#define FARM_IMAGE_COMPRESS_COMPRESSION_H_

#include <cstddef>
#include <memory>

#include "absl/strings/string_view.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::image::compress {

enum class Compression { kNone, kGzip, kZstd };

absl::string_view CompressionName(Compression c);

// Sniffs gzip (1f 8b) or zstd (28 b5 2f fd) magic; anything else is kNone.
// Needs at most 4 bytes.
Compression DetectCompression(absl::string_view head);

inline constexpr int kDefaultGzipLevel = 2;
inline constexpr int kMaxGzipLevel = 3;
inline constexpr int kDefaultZstdLevel = 3;

struct CompressOptions {
  // gzip: ISA-L level 1-3 (higher ones mean 3); zstd: level 1-19. 0 picks
  // the codec's default: gzip 2 (about 4% larger than `gzip -6` on binaries
  // and headers, at a twelfth of its CPU time), zstd 3.
  int level = 0;
  // Worker threads; the output is the same for any count (0 = inline).
  int threads = 2;
  // gzip: input bytes per independently compressed chunk. The output
  // depends on it, so keep it fixed for reproducible layers.
  size_t chunk_size = size_t{1} << 20;
};

// A writer that compresses into `out` (not owned; not closed by Close()).
// kNone passes bytes through. With `input_hash` (not owned), what is written
// is also hashed into it, in order; gzip and kNone do that off the caller's
// thread.
// Read the hash after Close.
std::unique_ptr<ByteWriter> NewCompressor(Compression c, ByteWriter* out,
                                          const CompressOptions& options,
                                          Sha256Hasher* input_hash = nullptr);

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_COMPRESSION_H_
