// ParallelGzipWriter: gzip at many times zlib's speed. Input is cut into
// fixed-size chunks that ISA-L's igzip compresses independently on worker
// threads; each chunk but the last ends in an empty stored block (a "full
// flush"), and all join into one gzip member with the right CRC-32 and
// ISIZE, as pigz does. A chunk where deflate shrinks none of four 32 KiB
// probes by 1/16 (archives, media, random bytes) goes out as stored blocks
// without being compressed. The bytes depend only on level and chunk size (and
// ISA-L's version).
#ifndef FARM_IMAGE_COMPRESS_GZIP_WRITER_H_
#define FARM_IMAGE_COMPRESS_GZIP_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/digest.h"
#include "common/io.h"
#include "image/compress/compression.h"

namespace farm::image::compress {

class ParallelGzipWriter : public ByteWriter {
 public:
  // `out` is not owned, must outlive this writer and is not closed. With
  // `input_hash` (not owned), the uncompressed bytes are hashed into it in
  // order on the writer thread, so that a layer's diff_id costs the
  // producer nothing; read it after Close.
  ParallelGzipWriter(ByteWriter* out, const CompressOptions& options,
                     Sha256Hasher* input_hash = nullptr);
  ~ParallelGzipWriter() override;

  // Not thread-safe: one producer.
  absl::Status Write(absl::string_view data) override;
  // Compresses what is left and writes the trailer.
  absl::Status Close() override;

 private:
  struct Job {
    std::string input;
    std::string output;
    bool last = false;
    bool done = false;
    absl::Status status;
  };

  struct Compressor;

  void WorkerLoop();
  // With threads: writes the compressed chunks in order as they finish, so
  // that the producer's thread does not (hashing and writing the output
  // costs as much as making the tar).
  void WriterLoop();
  static bool Compressible(Compressor* compressor, absl::string_view input);
  static void Compress(Compressor* compressor, Job* job);
  absl::Status Submit(bool last);
  // Writes a compressed chunk, after the gzip header if it is the first:
  // on the writer thread, or inline without threads.
  absl::Status WriteJob(const Job& job);

  ByteWriter* out_;
  CompressOptions options_;
  Sha256Hasher* input_hash_;
  std::string pending_;
  uint32_t crc_ = 0;
  uint32_t isize_ = 0;
  bool header_written_ = false;
  bool closed_ = false;
  absl::Status status_;
  std::unique_ptr<Compressor> inline_compressor_;  // with no threads

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;     // a job finished, or stopping
  std::condition_variable written_cv_;  // the writer took a job off queue_
  absl::Status write_status_;           // the writer's first error
  std::deque<std::shared_ptr<Job>> queue_;  // in output order
  std::deque<std::shared_ptr<Job>> todo_;   // not yet taken by a worker
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread writer_;
};

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_GZIP_WRITER_H_
