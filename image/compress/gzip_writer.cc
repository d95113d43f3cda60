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

// Deflate's stored blocks hold at most this many bytes each.
constexpr size_t kStoredBlockMax = 65535;
// How much of a chunk is compressed first to see whether it compresses.
constexpr size_t kProbeBytes = 32 * 1024;

// `data` as stored (uncompressed) deflate blocks, appended to `out`. The
// stream is byte-aligned where a chunk starts (the one before ended in a
// flush), and a stored block ends byte-aligned too, so no flush follows.
// With `last`, the final block carries BFINAL.
void AppendStoredBlocks(absl::string_view data, bool last, std::string* out) {
  out->reserve(out->size() + data.size() +
               (data.size() / kStoredBlockMax + 1) * 5);
  do {
    const size_t n = std::min(data.size(), kStoredBlockMax);
    const bool final_block = last && n == data.size();
    out->push_back(final_block ? 1 : 0);  // BFINAL, BTYPE=00, padding
    out->push_back(static_cast<char>(n & 0xff));
    out->push_back(static_cast<char>(n >> 8));
    out->push_back(static_cast<char>(~n & 0xff));
    out->push_back(static_cast<char>((~n >> 8) & 0xff));
    out->append(data.data(), n);
    data.remove_prefix(n);
  } while (!data.empty());
}

}  // namespace

// What one thread compresses with: ISA-L's working memory for the level,
// reused for every chunk.
struct ParallelGzipWriter::Compressor {
  explicit Compressor(int level)
      : level(level), level_buffer(LevelBufferSize(level)) {}
  const int level;
  std::vector<uint8_t> level_buffer;
  std::vector<uint8_t> probe;  // Compressible's output, thrown away
};

ParallelGzipWriter::ParallelGzipWriter(ByteWriter* out,
                                       const CompressOptions& options,
                                       Sha256Hasher* input_hash)
    : out_(out), options_(options), input_hash_(input_hash) {
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
  if (!workers_.empty()) writer_ = std::thread([this] { WriterLoop(); });
}

ParallelGzipWriter::~ParallelGzipWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  if (writer_.joinable()) writer_.join();
}

// Whether deflate saves at least 1/16 of any of four probes of kProbeBytes,
// taken at the start and at each quarter of `input`. A chunk of files that
// are compressed already (archives, media, random bytes) fails all four,
// tar headers and padding included, and deflate would spend most of a
// layer's CPU on it to save a few percent; a chunk where such a file ends
// and text begins passes one.
bool ParallelGzipWriter::Compressible(Compressor* compressor,
                                      absl::string_view input) {
  if (input.size() < 4 * kProbeBytes) return true;
  compressor->probe.resize(kProbeBytes);
  for (int quarter = 0; quarter < 4; ++quarter) {
    isal_zstream stream;
    isal_deflate_stateless_init(&stream);
    stream.level = compressor->level;
    stream.level_buf = compressor->level_buffer.data();
    stream.level_buf_size = compressor->level_buffer.size();
    stream.gzip_flag = IGZIP_DEFLATE;
    stream.flush = FULL_FLUSH;
    const size_t at = std::min(input.size() / 4 * quarter,
                               input.size() - kProbeBytes);
    stream.next_in =
        reinterpret_cast<uint8_t*>(const_cast<char*>(input.data() + at));
    stream.avail_in = kProbeBytes;
    stream.next_out = compressor->probe.data();
    stream.avail_out = static_cast<uint32_t>(kProbeBytes - kProbeBytes / 16);
    // Output that does not fit in 15/16 of the input is STATELESS_OVERFLOW.
    if (isal_deflate_stateless(&stream) == COMP_OK) return true;
  }
  return false;
}

void ParallelGzipWriter::Compress(Compressor* compressor, Job* job) {
  if (!Compressible(compressor, job->input)) {
    job->output.clear();
    AppendStoredBlocks(job->input, job->last, &job->output);
    return;
  }
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

void ParallelGzipWriter::WriterLoop() {
  while (true) {
    std::shared_ptr<Job> front;
    bool failed = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, [this] {
        return stopping_ || (!queue_.empty() && queue_.front()->done);
      });
      if (stopping_) return;  // abandoned: nothing more is written
      front = queue_.front();
      failed = !write_status_.ok();
    }
    absl::Status status = failed ? absl::OkStatus() : WriteJob(*front);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.pop_front();
      if (!status.ok() && write_status_.ok()) write_status_ = status;
    }
    written_cv_.notify_all();
  }
}

absl::Status ParallelGzipWriter::Submit(bool last) {
  auto job = std::make_shared<Job>();
  job->input.swap(pending_);
  job->last = last;
  pending_.reserve(options_.chunk_size);
  if (workers_.empty()) {
    Compress(inline_compressor_.get(), job.get());
    return WriteJob(*job);
  }
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(job);
  todo_.push_back(job);
  work_cv_.notify_one();
  // Keep every thread busy but bound the memory: at most a chunk per
  // worker and two more in flight; at the last chunk, wait for them all.
  const size_t in_flight = last ? 0 : workers_.size() + 2;
  written_cv_.wait(lock, [&] {
    return queue_.size() <= in_flight || !write_status_.ok();
  });
  return write_status_;
}

absl::Status ParallelGzipWriter::WriteJob(const Job& job) {
  RETURN_IF_ERROR(job.status);
  if (input_hash_ != nullptr) input_hash_->Update(job.input);
  if (!header_written_) {
    header_written_ = true;
    RETURN_IF_ERROR(out_->Write(absl::string_view(kHeader, sizeof(kHeader))));
  }
  return out_->Write(job.output);
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
