#include "common/prefetching_reader.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace farm {
namespace {

class PrefetchingReader : public ByteReader {
 public:
  PrefetchingReader(std::unique_ptr<ByteReader> inner, size_t chunk, int depth)
      : inner_(std::move(inner)),
        chunk_(std::max<size_t>(chunk, 4096)),
        depth_(std::max(depth, 1)),
        thread_([this] { Fill(); }) {}

  ~PrefetchingReader() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    if (size == 0) return 0;
    if (offset_ == current_.size()) {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PrefetchingReader* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return !r->ready_.empty() || r->done_;
          },
          this));
      if (ready_.empty()) {
        if (!status_.ok()) return status_;
        return 0;
      }
      current_ = std::move(ready_.front());
      ready_.pop_front();
      offset_ = 0;
    }
    size_t n = std::min(size, current_.size() - offset_);
    memcpy(buf, current_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  void Fill() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](PrefetchingReader* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
              return static_cast<int>(r->ready_.size()) < r->depth_ ||
                     r->stopping_;
            },
            this));
        if (stopping_) return;
      }
      std::string chunk(chunk_, '\0');
      size_t filled = 0;
      absl::Status status;
      while (filled < chunk_) {
        absl::StatusOr<size_t> n =
            inner_->Read(chunk.data() + filled, chunk_ - filled);
        if (!n.ok()) {
          status = n.status();
          break;
        }
        if (*n == 0) break;
        filled += *n;
      }
      chunk.resize(filled);
      absl::MutexLock lock(&mu_);
      if (filled > 0) ready_.push_back(std::move(chunk));
      if (!status.ok() || filled < chunk_) {
        status_ = status;
        done_ = true;
        return;
      }
    }
  }

  std::unique_ptr<ByteReader> inner_;  // the thread's only
  const size_t chunk_;
  const int depth_;
  std::string current_;  // the caller's
  size_t offset_ = 0;
  absl::Mutex mu_;
  std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace

std::unique_ptr<ByteReader> NewPrefetchingReader(
    std::unique_ptr<ByteReader> inner, size_t chunk, int depth) {
  return std::make_unique<PrefetchingReader>(std::move(inner), chunk, depth);
}

}  // namespace farm
