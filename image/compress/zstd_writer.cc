#include "image/compress/zstd_writer.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::image::compress {

ZstdWriter::ZstdWriter(ByteWriter* out, const CompressOptions& options)
    : out_(out), cctx_(ZSTD_createCCtx()) {
  buffer_.resize(ZSTD_CStreamOutSize());
  if (cctx_ == nullptr) {
    status_ = absl::InternalError("zstd: cannot allocate a context");
    return;
  }
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel,
                         options.level > 0 ? options.level : kDefaultZstdLevel);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  // Multithreaded output differs from single-threaded output but not
  // between thread counts, so always use at least one worker.
  size_t r = ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers,
                                    options.threads < 1 ? 1 : options.threads);
  if (ZSTD_isError(r)) {
    status_ = absl::InternalError(
        absl::StrCat("zstd: no thread support: ", ZSTD_getErrorName(r)));
  }
}

ZstdWriter::~ZstdWriter() { ZSTD_freeCCtx(cctx_); }

absl::Status ZstdWriter::Run(absl::string_view data, bool end) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  while (true) {
    ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
    size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(left)) {
      return absl::InternalError(
          absl::StrCat("zstd: ", ZSTD_getErrorName(left)));
    }
    if (out.pos > 0) {
      RETURN_IF_ERROR(out_->Write(absl::string_view(buffer_.data(), out.pos)));
    }
    bool finished = end ? left == 0 : in.pos == in.size;
    if (finished) return absl::OkStatus();
  }
}

absl::Status ZstdWriter::Write(absl::string_view data) {
  if (closed_) return absl::FailedPreconditionError("zstd: write after close");
  RETURN_IF_ERROR(status_);
  status_ = Run(data, /*end=*/false);
  return status_;
}

absl::Status ZstdWriter::Close() {
  if (closed_) return status_;
  closed_ = true;
  RETURN_IF_ERROR(status_);
  status_ = Run("", /*end=*/true);
  return status_;
}

}  // namespace farm::image::compress
