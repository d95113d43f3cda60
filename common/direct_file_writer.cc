#include "common/direct_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm {

namespace {

// O_DIRECT wants buffers, offsets and lengths aligned to the device's logical
// block; 4 KiB covers every disk in use.
constexpr size_t kAlign = 4096;
constexpr size_t kBufferSize = size_t{4} << 20;
constexpr int kBuffers = 3;

struct AlignedFree {
  void operator()(char* p) const { free(p); }
};
using AlignedBuffer = std::unique_ptr<char, AlignedFree>;

class DirectFileWriter : public ByteWriter {
 public:
  DirectFileWriter(ScopedFd fd, std::string path, bool direct)
      : fd_(std::move(fd)), path_(std::move(path)), direct_(direct) {}

  ~DirectFileWriter() override {
    if (thread_.joinable()) Stop();
  }

  absl::Status Init() {
    for (int i = 0; i < kBuffers; ++i) {
      void* p = nullptr;
      if (posix_memalign(&p, kAlign, kBufferSize) != 0) {
        return absl::ResourceExhaustedError("allocating write buffers");
      }
      free_.push_back(Filled{AlignedBuffer(static_cast<char*>(p)), 0});
    }
    thread_ = std::thread([this] { WriteQueued(); });
    return absl::OkStatus();
  }

  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      if (current_.data == nullptr) {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](DirectFileWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
              return !w->free_.empty() || !w->error_.ok();
            },
            this));
        if (!error_.ok()) return error_;
        current_ = std::move(free_.front());
        free_.pop_front();
        current_.size = 0;
      }
      size_t take = std::min(kBufferSize - current_.size, data.size());
      memcpy(current_.data.get() + current_.size, data.data(), take);
      current_.size += take;
      data.remove_prefix(take);
      if (current_.size == kBufferSize) Queue();
    }
    absl::MutexLock lock(&mu_);
    return error_;
  }

  absl::Status Close() override {
    if (!thread_.joinable()) return absl::FailedPreconditionError("closed");
    if (current_.size > 0) Queue();
    Stop();
    absl::MutexLock lock(&mu_);
    if (close(fd_.release()) != 0 && error_.ok()) {
      error_ = ErrnoStatus(errno, absl::StrCat("closing ", path_));
    }
    return error_;
  }

 private:
  struct Filled {
    AlignedBuffer data;
    size_t size = 0;
  };

  void Queue() {
    absl::MutexLock lock(&mu_);
    queued_.push_back(std::move(current_));
    current_ = Filled{};
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
    }
    thread_.join();
  }

  void WriteQueued() {
    bool failed = false;  // then buffers are only handed back
    while (true) {
      Filled next;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](DirectFileWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
              return !w->queued_.empty() || w->closing_;
            },
            this));
        if (queued_.empty()) return;
        next = std::move(queued_.front());
        queued_.pop_front();
      }
      absl::Status written = failed ? absl::OkStatus() : WriteOut(next);
      absl::MutexLock lock(&mu_);
      if (!written.ok()) {
        error_ = written;
        failed = true;
      }
      free_.push_back(std::move(next));
    }
  }

  // Writes one buffer at offset_: the aligned part directly, a short tail
  // (only the last buffer has one) through the page cache.
  absl::Status WriteOut(const Filled& buffer) {
    const char* p = buffer.data.get();
    size_t left = buffer.size;
    while (left > 0) {
      size_t want = left;
      if (direct_) {
        want = left / kAlign * kAlign;
        if (want == 0) {
          RETURN_IF_ERROR(StopDirect());
          continue;
        }
      }
      ssize_t n = pwrite(fd_.get(), p, want, static_cast<off_t>(offset_));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL && direct_) {
          RETURN_IF_ERROR(StopDirect());
          continue;
        }
        return ErrnoStatus(errno, absl::StrCat("writing ", path_));
      }
      if (direct_ && n % kAlign != 0) RETURN_IF_ERROR(StopDirect());
      p += n;
      left -= n;
      offset_ += n;
    }
    return absl::OkStatus();
  }

  absl::Status StopDirect() {
    int flags = fcntl(fd_.get(), F_GETFL);
    if (flags < 0 || fcntl(fd_.get(), F_SETFL, flags & ~O_DIRECT) != 0) {
      return ErrnoStatus(errno, absl::StrCat("writing ", path_));
    }
    direct_ = false;
    return absl::OkStatus();
  }

  ScopedFd fd_;
  const std::string path_;
  // Owned by the background thread once it runs.
  bool direct_;
  uint64_t offset_ = 0;
  // Owned by the caller's thread.
  Filled current_;
  std::thread thread_;

  absl::Mutex mu_;
  std::deque<Filled> free_ ABSL_GUARDED_BY(mu_);
  std::deque<Filled> queued_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ByteWriter>> OpenDirectFileWriter(
    const std::string& path, int mode) {
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  bool direct = true;
  int fd = open(path.c_str(), flags | O_DIRECT, mode);
  if (fd < 0 && errno == EINVAL) {
    direct = false;
    fd = open(path.c_str(), flags, mode);
  }
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("creating ", path));
  auto writer = std::make_unique<DirectFileWriter>(ScopedFd(fd), path, direct);
  RETURN_IF_ERROR(writer->Init());
  return std::unique_ptr<ByteWriter>(std::move(writer));
}

}  // namespace farm
