#include "image/compress/gzip_writer.h"

#include <libdeflate.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/compress/deflate_walker.h"

namespace farm::image::compress {
namespace {

// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown), as Go writes it.
constexpr char kHeader[10] = {0x1f, static_cast<char>(0x8b), 8, 0, 0, 0, 0, 0,
                              0,    static_cast<char>(0xff)};

void PutLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

ParallelGzipWriter::ParallelGzipWriter(ByteWriter* out,
                                       const CompressOptions& options)
    : out_(out), options_(options) {
  if (options_.chunk_size < 4096) options_.chunk_size = 4096;
  if (options_.level <= 0) options_.level = kDefaultGzipLevel;
  pending_.reserve(options_.chunk_size);
  if (options_.threads <= 0) {
    inline_compressor_ = libdeflate_alloc_compressor(options_.level);
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
  if (inline_compressor_ != nullptr) {
    libdeflate_free_compressor(
        static_cast<libdeflate_compressor*>(inline_compressor_));
  }
}

void ParallelGzipWriter::Compress(void* compressor, Job* job) {
  auto* c = static_cast<libdeflate_compressor*>(compressor);
  if (c == nullptr) {
    job->status = absl::InternalError("gzip: cannot allocate a compressor");
    return;
  }
  size_t bound = libdeflate_deflate_compress_bound(c, job->input.size()) + 8;
  job->output.resize(bound);
  size_t n = libdeflate_deflate_compress(
      c, job->input.data(), job->input.size(), job->output.data(), bound);
  if (n == 0) {
    job->status = absl::InternalError("gzip: compression bound exceeded");
    return;
  }
  job->output.resize(n);
  if (job->last) return;
  // Turn the stream into a non-final one that ends byte-aligned: clear the
  // final block's BFINAL bit, then add an empty stored block (000, pad,
  // 00 00 ff ff). The bits after the end-of-block code are already zero.
  absl::StatusOr<FinalBlock> fin = FindFinalBlock(job->output);
  if (!fin.ok()) {
    job->status = Annotate(fin.status(), "gzip: walking libdeflate output");
    return;
  }
  job->output[fin->header_bit / 8] &=
      static_cast<char>(~(1u << (fin->header_bit % 8)));
  uint64_t end = fin->end_bit;
  job->output.resize((end + 7) / 8);
  int used = static_cast<int>(end % 8);
  if (used == 0 || used > 5) job->output.push_back('\0');
  job->output.append("\0\0\xff\xff", 4);
}

void ParallelGzipWriter::WorkerLoop() {
  libdeflate_compressor* c = libdeflate_alloc_compressor(options_.level);
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !todo_.empty(); });
      if (todo_.empty()) break;
      job = todo_.front();
      todo_.pop_front();
    }
    Compress(c, job.get());
    {
      std::lock_guard<std::mutex> lock(mu_);
      job->done = true;
    }
    done_cv_.notify_all();
  }
  if (c != nullptr) libdeflate_free_compressor(c);
}

absl::Status ParallelGzipWriter::Submit(bool last) {
  auto job = std::make_shared<Job>();
  job->input.swap(pending_);
  job->last = last;
  pending_.reserve(options_.chunk_size);
  if (workers_.empty()) {
    Compress(inline_compressor_, job.get());
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
  crc_ = libdeflate_crc32(crc_, data.data(), data.size());
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
