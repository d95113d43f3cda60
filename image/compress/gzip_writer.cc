#include "image/compress/gzip_writer.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::image::compress {
namespace {

// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown), as Go writes it.
constexpr char kHeader[10] = {0x1f, static_cast<char>(0x8b), 8, 0, 0, 0, 0, 0,
                              0,    static_cast<char>(0xff)};

void PutLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

size_t LevelBufferSize(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    default:
      return ISAL_DEF_LVL3_DEFAULT;
  }
}

}  // namespace

// What one thread compresses with: ISA-L's working memory for the level,
// reused for every chunk.
struct ParallelGzipWriter::Compressor {
  explicit Compressor(int level)
      : level(level), level_buffer(LevelBufferSize(level)) {}
  const int level;
  std::vector<uint8_t> level_buffer;
};

ParallelGzipWriter::ParallelGzipWriter(ByteWriter* out,
                                       const CompressOptions& options)
    : out_(out), options_(options) {
  if (options_.chunk_size < 4096) options_.chunk_size = 4096;
  if (options_.level <= 0) options_.level = kDefaultGzipLevel;
  options_.level = std::min(options_.level, kMaxGzipLevel);
  pending_.reserve(options_.chunk_size);
  if (options_.threads <= 0) {
    inline_compressor_ = std::make_unique<Compressor>(options_.level);
  }
  for (int i = 0; i < options_.threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

ParallelGzipWriter::~ParallelGzipWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ParallelGzipWriter::Compress(Compressor* compressor, Job* job) {
  isal_zstream stream;
  isal_deflate_stateless_init(&stream);
  stream.level = compressor->level;
  stream.level_buf = compressor->level_buffer.data();
  stream.level_buf_size = compressor->level_buffer.size();
  stream.gzip_flag = IGZIP_DEFLATE;  // raw: the gzip framing is ours
  // Every chunk but the last ends in an empty stored block, byte-aligned
  // and not final, so that the next chunk's blocks can follow it.
  stream.flush = job->last ? NO_FLUSH : FULL_FLUSH;
  stream.end_of_stream = job->last ? 1 : 0;
  // Incompressible input goes out as stored blocks of at most 64 KiB, 5
  // bytes of header each; the rest is room for block headers and flushes.
  const size_t bound =
      job->input.size() + job->input.size() / 1024 * 8 + 4096;
  job->output.resize(bound);
  stream.next_in =
      reinterpret_cast<uint8_t*>(const_cast<char*>(job->input.data()));
  stream.avail_in = static_cast<uint32_t>(job->input.size());
  stream.next_out = reinterpret_cast<uint8_t*>(job->output.data());
  stream.avail_out = static_cast<uint32_t>(bound);
  int result = isal_deflate_stateless(&stream);
  if (result != COMP_OK) {
    job->status = absl::InternalError(
        absl::StrCat("gzip: ISA-L deflate failed (", result, ")"));
    return;
  }
  job->output.resize(stream.total_out);
}

void ParallelGzipWriter::WorkerLoop() {
  Compressor compressor(options_.level);
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !todo_.empty(); });
      if (todo_.empty()) break;
      job = todo_.front();
      todo_.pop_front();
    }
    Compress(&compressor, job.get());
    {
      std::lock_guard<std::mutex> lock(mu_);
      job->done = true;
    }
    done_cv_.notify_all();
  }
}

absl::Status ParallelGzipWriter::Submit(bool last) {
  auto job = std::make_shared<Job>();
  job->input.swap(pending_);
  job->last = last;
  pending_.reserve(options_.chunk_size);
  if (workers_.empty()) {
    Compress(inline_compressor_.get(), job.get());
    job->done = true;
    queue_.push_back(job);
    return Drain(0);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job);
    todo_.push_back(job);
  }
  work_cv_.notify_one();
  return Drain(last ? 0 : workers_.size() + 1);
}

absl::Status ParallelGzipWriter::Drain(size_t max_pending) {
  while (true) {
    std::shared_ptr<Job> front;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (queue_.empty()) return absl::OkStatus();
      if (!queue_.front()->done) {
        if (queue_.size() <= max_pending) return absl::OkStatus();
        done_cv_.wait(lock, [this] { return queue_.front()->done; });
      }
      front = queue_.front();
      queue_.pop_front();
    }
    RETURN_IF_ERROR(front->status);
    if (!header_written_) {
      header_written_ = true;
      RETURN_IF_ERROR(out_->Write(absl::string_view(kHeader, sizeof(kHeader))));
    }
    RETURN_IF_ERROR(out_->Write(front->output));
  }
}

absl::Status ParallelGzipWriter::Write(absl::string_view data) {
  if (closed_) return absl::FailedPreconditionError("gzip: write after close");
  RETURN_IF_ERROR(status_);
  crc_ = crc32_gzip_refl(crc_, reinterpret_cast<const uint8_t*>(data.data()),
                         data.size());
  isize_ += static_cast<uint32_t>(data.size());
  while (!data.empty()) {
    size_t take = std::min(data.size(), options_.chunk_size - pending_.size());
    pending_.append(data.data(), take);
    data.remove_prefix(take);
    if (pending_.size() == options_.chunk_size) {
      status_ = Submit(/*last=*/false);
      RETURN_IF_ERROR(status_);
    }
  }
  return absl::OkStatus();
}

absl::Status ParallelGzipWriter::Close() {
  if (closed_) return status_;
  closed_ = true;
  RETURN_IF_ERROR(status_);
  status_ = Submit(/*last=*/true);
  RETURN_IF_ERROR(status_);
  std::string trailer;
  PutLe32(&trailer, crc_);
  PutLe32(&trailer, isize_);
  status_ = out_->Write(trailer);
  return status_;
}

}  // namespace farm::image::compress
