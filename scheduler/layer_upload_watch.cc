#include "scheduler/layer_upload_watch.h"

#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "image/compress/compression.h"
#include "image/compress/decompressor.h"
#include "image/compress/digesting_io.h"

namespace farm::scheduler {
namespace {

// Inflates and hashes a compressed stream on a thread of its own, so that
// the upload's own hashing and writing and the inflating use two cores. At
// most kMaxWaiting bytes wait between the two.
class Inflater {
 public:
  explicit Inflater(image::compress::Compression codec)
      : decompress_(codec, &tar_), thread_([this] { Loop(); }) {}
  ~Inflater() { Finish(); }

  // Hands over a copy of `data`; blocks while too much is waiting.
  void Feed(absl::string_view data) {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return waiting_bytes_ < kMaxWaiting || failed_;
    };
    mu_.Await(absl::Condition(&room));
    if (failed_) return;  // not a layer: no need to go on
    waiting_.emplace_back(data);
    waiting_bytes_ += data.size();
  }

  // Ends the input; the diff_id, or nullopt when it did not inflate.
  // Later calls return nullopt.
  std::optional<Digest> Finish() {
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return std::nullopt;
      closed_ = true;
    }
    thread_.join();
    if (failed_ || !decompress_.Close().ok()) return std::nullopt;
    return tar_.Finish();
  }

 private:
  static constexpr size_t kMaxWaiting = size_t{16} << 20;

  void Loop() {
    while (true) {
      std::string chunk;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !waiting_.empty() || closed_;
        };
        mu_.Await(absl::Condition(&ready));
        if (waiting_.empty()) return;
        chunk = std::move(waiting_.front());
        waiting_.pop_front();
        waiting_bytes_ -= chunk.size();
      }
      if (!decompress_.Write(chunk).ok()) {
        absl::MutexLock lock(&mu_);
        failed_ = true;
        waiting_.clear();
        waiting_bytes_ = 0;
        return;
      }
    }
  }

  image::compress::DigestingWriter tar_;
  image::compress::DecompressingWriter decompress_;
  absl::Mutex mu_;
  std::deque<std::string> waiting_ ABSL_GUARDED_BY(mu_);
  size_t waiting_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Written by the thread before it ends; read after the join.
  bool failed_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

// Passes everything to the store's writer; inflates a layer beside it.
class WatchingWriter : public cache::BlobWriter {
 public:
  WatchingWriter(std::unique_ptr<cache::BlobWriter> inner, Digest digest,
                 const LayerUploadWatch::OnLayer& on_layer)
      : inner_(std::move(inner)),
        digest_(std::move(digest)),
        on_layer_(on_layer) {}

  absl::Status Write(absl::string_view data) override {
    RETURN_IF_ERROR(inner_->Write(data));
    size_ += data.size();
    if (inflater_ != nullptr) {
      inflater_->Feed(data);
    } else if (!decided_) {
      head_.append(data.data(), data.size());
      if (head_.size() >= kTarHeader) Decide();
    }
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    RETURN_IF_ERROR(inner_->Commit());
    if (!decided_) Decide();
    if (inflater_ != nullptr) {
      std::optional<Digest> diff_id = inflater_->Finish();
      inflater_.reset();
      if (diff_id.has_value()) on_layer_(digest_, *diff_id, size_);
    } else if (plain_tar_) {
      // The store has just checked the digest, which for a plain layer is
      // its diff_id too.
      on_layer_(digest_, digest_, size_);
    }
    return absl::OkStatus();
  }

 private:
  // The magic bytes decide (gzip or zstd, as the verifier reads layers);
  // what was held back until then is inflated first. A plain tar (farm's
  // own layers, the build form) needs no inflating at all.
  void Decide() {
    decided_ = true;
    image::compress::Compression codec =
        image::compress::DetectCompression(head_);
    if (codec != image::compress::Compression::kNone) {
      inflater_ = std::make_unique<Inflater>(codec);
      inflater_->Feed(head_);
    } else {
      plain_tar_ =
          head_.size() >= kTarHeader &&
          absl::string_view(head_).substr(kUstarAt, kUstar.size()) == kUstar;
    }
    std::string().swap(head_);
  }

  // A tar's first header: "ustar" at byte 257 of its 512.
  static constexpr size_t kTarHeader = 512;
  static constexpr size_t kUstarAt = 257;
  static constexpr absl::string_view kUstar = "ustar";

  std::unique_ptr<cache::BlobWriter> inner_;
  const Digest digest_;
  const LayerUploadWatch::OnLayer& on_layer_;
  uint64_t size_ = 0;
  bool decided_ = false;
  bool plain_tar_ = false;
  std::string head_;
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<cache::BlobWriter>> LayerUploadWatch::Put(
    const Digest& digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<cache::BlobWriter> writer,
                   inner()->Put(digest));
  return std::unique_ptr<cache::BlobWriter>(
      new WatchingWriter(std::move(writer), digest, on_layer_));
}

}  // namespace farm::scheduler
