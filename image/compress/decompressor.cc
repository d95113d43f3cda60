#include "image/compress/decompressor.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::image::compress {
namespace {

class PlainCore : public Decompressor {
 public:
  absl::StatusOr<size_t> Step(absl::string_view* in, char* out,
                              size_t size) override {
    size_t n = std::min(size, in->size());
    memcpy(out, in->data(), n);
    in->remove_prefix(n);
    return n;
  }
  absl::Status Finish() override { return absl::OkStatus(); }
};

class GzipCore : public Decompressor {
 public:
  GzipCore() {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
  }

  absl::StatusOr<size_t> Step(absl::string_view* in, char* out,
                              size_t size) override {
    if (state_.block_state == ISAL_BLOCK_FINISH) {
      if (in->empty()) return size_t{0};
      // Another member follows.
      isal_inflate_reset(&state_);
      state_.crc_flag = ISAL_GZIP;
      in_member_ = false;
    }
    if (!in->empty()) in_member_ = true;
    state_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in->data()));
    state_.avail_in =
        static_cast<uint32_t>(std::min<size_t>(in->size(), uint32_t{1} << 30));
    state_.next_out = reinterpret_cast<uint8_t*>(out);
    state_.avail_out =
        static_cast<uint32_t>(std::min<size_t>(size, uint32_t{1} << 30));
    uint32_t before = state_.avail_in;
    int r = isal_inflate(&state_);
    in->remove_prefix(before - state_.avail_in);
    size_t produced = reinterpret_cast<char*>(state_.next_out) - out;
    if (r != ISAL_DECOMP_OK && r != ISAL_END_INPUT) {
      return absl::DataLossError(absl::StrCat("gzip: ", Describe(r)));
    }
    return produced;
  }

  absl::Status Finish() override {
    if (!in_member_ || state_.block_state != ISAL_BLOCK_FINISH) {
      return absl::DataLossError("gzip: stream is truncated");
    }
    return absl::OkStatus();
  }

 private:
  static std::string Describe(int r) {
    switch (r) {
      case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
      case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK:
        return "invalid back-reference distance";
      case ISAL_INVALID_WRAPPER:
        return "not a gzip stream (bad header)";
      case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
      case ISAL_INCORRECT_CHECKSUM:
        return "CRC or size mismatch in the trailer";
      default:
        return absl::StrCat("inflate error ", r);
    }
  }

  inflate_state state_;
  bool in_member_ = false;
};

class ZstdCore : public Decompressor {
 public:
  ZstdCore() : dctx_(ZSTD_createDCtx()) {}
  ~ZstdCore() override { ZSTD_freeDCtx(dctx_); }

  absl::StatusOr<size_t> Step(absl::string_view* in, char* out,
                              size_t size) override {
    if (dctx_ == nullptr) return absl::InternalError("zstd: no context");
    ZSTD_inBuffer ib{in->data(), in->size(), 0};
    ZSTD_outBuffer ob{out, size, 0};
    size_t r = ZSTD_decompressStream(dctx_, &ob, &ib);
    in->remove_prefix(ib.pos);
    if (ZSTD_isError(r)) {
      return absl::DataLossError(absl::StrCat("zstd: ", ZSTD_getErrorName(r)));
    }
    if (ib.pos > 0 || ob.pos > 0) {
      seen_input_ = true;
      last_hint_ = r;
    }
    return ob.pos;
  }

  absl::Status Finish() override {
    if (!seen_input_ || last_hint_ != 0) {
      return absl::DataLossError("zstd: stream is truncated");
    }
    return absl::OkStatus();
  }

 private:
  ZSTD_DCtx* dctx_;
  bool seen_input_ = false;
  size_t last_hint_ = 1;
};

constexpr size_t kInBuffer = 256 * 1024;
constexpr size_t kOutBuffer = 256 * 1024;

}  // namespace

std::unique_ptr<Decompressor> NewDecompressor(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipCore>();
    case Compression::kZstd:
      return std::make_unique<ZstdCore>();
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainCore>();
}

DecompressingReader::DecompressingReader(std::unique_ptr<ByteReader> source,
                                         std::optional<Compression> codec)
    : owned_(std::move(source)), source_(owned_.get()), codec_(codec) {}

DecompressingReader::DecompressingReader(ByteReader* source,
                                         std::optional<Compression> codec)
    : source_(source), codec_(codec) {}

absl::Status DecompressingReader::Fill() {
  if (in_buf_.size() < kInBuffer) in_buf_.resize(kInBuffer);
  // Keep unread input at the front.
  size_t keep = in_.size();
  memmove(in_buf_.data(), in_.data(), keep);
  size_t n = keep;
  while (n < 4 && !source_done_) {
    ASSIGN_OR_RETURN(size_t got,
                     source_->Read(in_buf_.data() + n, in_buf_.size() - n));
    if (got == 0) source_done_ = true;
    n += got;
    if (codec_.has_value()) break;
  }
  in_ = absl::string_view(in_buf_.data(), n);
  if (!codec_.has_value()) codec_ = DetectCompression(in_);
  if (core_ == nullptr) core_ = NewDecompressor(*codec_);
  return absl::OkStatus();
}

absl::StatusOr<size_t> DecompressingReader::Read(char* buf, size_t size) {
  RETURN_IF_ERROR(status_);
  if (finished_ || size == 0) return size_t{0};
  while (true) {
    if (core_ == nullptr || (in_.empty() && !source_done_)) {
      status_ = Fill();
      RETURN_IF_ERROR(status_);
    }
    absl::StatusOr<size_t> n = core_->Step(&in_, buf, size);
    if (!n.ok()) {
      status_ = n.status();
      return status_;
    }
    if (*n > 0) return *n;
    if (in_.empty() && source_done_) {
      status_ = core_->Finish();
      RETURN_IF_ERROR(status_);
      finished_ = true;
      return size_t{0};
    }
    if (in_.empty()) continue;
    // The core wants more input although some is left: refill behind it.
    if (source_done_) {
      status_ = absl::DataLossError(
          absl::StrCat(CompressionName(*codec_), ": stream is truncated"));
      return status_;
    }
    status_ = Fill();
    RETURN_IF_ERROR(status_);
  }
}

DecompressingWriter::DecompressingWriter(Compression codec, ByteWriter* sink)
    : core_(NewDecompressor(codec)), sink_(sink), out_buf_(kOutBuffer, '\0') {}

absl::Status DecompressingWriter::Write(absl::string_view data) {
  RETURN_IF_ERROR(status_);
  while (true) {
    size_t before = data.size();
    absl::StatusOr<size_t> n =
        core_->Step(&data, out_buf_.data(), out_buf_.size());
    if (!n.ok()) {
      status_ = n.status();
      return status_;
    }
    if (*n > 0) {
      status_ = sink_->Write(absl::string_view(out_buf_.data(), *n));
      RETURN_IF_ERROR(status_);
      continue;
    }
    if (data.empty()) return absl::OkStatus();
    if (data.size() == before) {
      status_ = absl::DataLossError("decompressor made no progress");
      return status_;
    }
  }
}

absl::Status DecompressingWriter::Close() {
  RETURN_IF_ERROR(status_);
  // Flush anything the codec still holds.
  RETURN_IF_ERROR(Write(absl::string_view()));
  status_ = core_->Finish();
  return status_;
}

}  // namespace farm::image::compress
