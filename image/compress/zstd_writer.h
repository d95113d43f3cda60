// ZstdWriter: streaming zstd compression (one frame, with checksum) using
// libzstd's own worker threads. Output is the same for any thread count >= 1.
#ifndef FARM_IMAGE_COMPRESS_ZSTD_WRITER_H_
#define FARM_IMAGE_COMPRESS_ZSTD_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "common/io.h"
#include "image/compress/compression.h"

typedef struct ZSTD_CCtx_s ZSTD_CCtx;

namespace farm::image::compress {

class ZstdWriter : public ByteWriter {
 public:
  // `out` is not owned and not closed.
  ZstdWriter(ByteWriter* out, const CompressOptions& options);
  ~ZstdWriter() override;

  absl::Status Write(absl::string_view data) override;
  // Ends the frame.
  absl::Status Close() override;

 private:
  absl::Status Run(absl::string_view data, bool end);

  ByteWriter* out_;
  ZSTD_CCtx* cctx_;
  std::string buffer_;
  absl::Status status_;
  bool closed_ = false;
};

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_ZSTD_WRITER_H_
