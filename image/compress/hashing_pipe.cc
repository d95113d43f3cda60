#include "image/compress/hashing_pipe.h"

#include <algorithm>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace farm::image::compress {
namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr size_t kChunks = 4;

class HashingPipe : public ByteWriter {
 public:
  HashingPipe(ByteWriter* out, Sha256Hasher* hash)
      : out_(out), hash_(hash), thread_([this] { Drain(); }) {}

  ~HashingPipe() override {
    {
      absl::MutexLock lock(&mu_);
      abandoned_ = true;
      closing_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      size_t take = std::min(kChunk - pending_.size(), data.size());
      pending_.append(data.data(), take);
      data.remove_prefix(take);
      if (pending_.size() == kChunk) RETURN_IF_ERROR(Hand());
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (!thread_.joinable()) return absl::FailedPreconditionError("closed");
    absl::Status handed = pending_.empty() ? absl::OkStatus() : Hand();
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
    }
    thread_.join();
    absl::MutexLock lock(&mu_);
    return handed.ok() ? error_ : handed;
  }

 private:
  // Queues the pending chunk, waiting while kChunks are queued already.
  absl::Status Hand() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](HashingPipe* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
          return p->queued_.size() < kChunks || !p->error_.ok();
        },
        this));
    if (!error_.ok()) return error_;
    queued_.push_back(std::move(pending_));
    pending_ = std::string();
    pending_.reserve(kChunk);
    return absl::OkStatus();
  }

  void Drain() {
    while (true) {
      std::string chunk;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](HashingPipe* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
              return !p->queued_.empty() || p->closing_;
            },
            this));
        if (queued_.empty() || abandoned_) return;
        chunk = std::move(queued_.front());
        queued_.pop_front();
      }
      hash_->Update(chunk);
      absl::Status written = out_->Write(chunk);
      if (!written.ok()) {
        absl::MutexLock lock(&mu_);
        error_ = written;
        queued_.clear();
        return;
      }
    }
  }

  ByteWriter* out_;
  Sha256Hasher* hash_;
  std::string pending_;  // the caller's
  absl::Mutex mu_;
  std::deque<std::string> queued_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace

std::unique_ptr<ByteWriter> NewHashingPipe(ByteWriter* out,
                                           Sha256Hasher* hash) {
  return std::make_unique<HashingPipe>(out, hash);
}

}  // namespace farm::image::compress
