#include "client/build/stream_writer.h"

#include "absl/strings/str_cat.h"
#include "client/build/upload_messages.h"
#include "client/progress/text_format.h"

namespace farm::client::build {

StreamWriter::StreamWriter(BuildStream* stream,
                           const StreamWriterOptions& options)
    : stream_(stream), options_(options) {}

StreamWriter::~StreamWriter() { Stop(); }

void StreamWriter::Start(std::vector<proto::BuildClientMessage> opening) {
  thread_ = std::thread([this, opening = std::move(opening)]() mutable {
    Run(std::move(opening));
  });
}

void StreamWriter::Upload(std::vector<std::string> digests) {
  absl::MutexLock lock(&mu_);
  if (digests.empty() || cancel_wanted_) return;
  batches_.push_back(std::move(digests));
}

void StreamWriter::Cancel(const std::string& reason, absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  if (cancel_wanted_) return;
  cancel_wanted_ = true;
  cancel_reason_ = reason;
  cancel_deadline_ = absl::Now() + grace;
  batches_.clear();
}

void StreamWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int64_t StreamWriter::uploaded_bytes() const {
  absl::MutexLock lock(&mu_);
  return uploaded_bytes_;
}

absl::Status StreamWriter::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

void StreamWriter::MaybeSendCancel() {
  proto::BuildClientMessage message;
  {
    absl::MutexLock lock(&mu_);
    if (!cancel_wanted_ || cancel_sent_ || broken_) return;
    cancel_sent_ = true;
    message.mutable_cancel()->set_reason(cancel_reason_);
  }
  if (!stream_->Write(message)) {
    absl::MutexLock lock(&mu_);
    broken_ = true;
  }
}

void StreamWriter::UploadBatch(const std::vector<std::string>& digests) {
  progress::ClientSteps::Step step =
      options_.steps->Start("transferring context");
  int64_t batch_bytes = 0;
  auto write = [this](const proto::BuildClientMessage& m) {
    return stream_->Write(m);
  };
  auto stop = [this] {
    absl::MutexLock lock(&mu_);
    return cancel_wanted_ || stopping_;
  };
  for (const std::string& digest : digests) {
    absl::StatusOr<int64_t> sent = SendBlob(
        *options_.blobs, digest, options_.blob_chunk_bytes, write, stop);
    if (sent.ok()) {
      absl::MutexLock lock(&mu_);
      uploaded_bytes_ += *sent;
      batch_bytes += *sent;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      if (sent.status().code() == absl::StatusCode::kUnavailable) {
        broken_ = true;
      } else if (sent.status().code() != absl::StatusCode::kCancelled &&
                 error_.ok()) {
        // The farm cannot finish without this blob: stop the build.
        error_ = sent.status();
        if (!cancel_wanted_) {
          cancel_wanted_ = true;
          cancel_reason_ = std::string(sent.status().message());
          cancel_deadline_ = absl::Now() + options_.cancel_grace;
          batches_.clear();
        }
      }
    }
    step.Fail(std::string(sent.status().message()));
    return;
  }
  step.Log(absl::StrCat(digests.size(),
                        digests.size() == 1 ? " file, " : " files, ",
                        progress::FormatBytes(batch_bytes)));
  step.Done();
}

void StreamWriter::Run(std::vector<proto::BuildClientMessage> opening) {
  // The opening goes out whole even when a cancel is due: the farm has to
  // know the build before it can cancel it.
  for (const proto::BuildClientMessage& message : opening) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    if (!stream_->Write(message)) {
      absl::MutexLock lock(&mu_);
      broken_ = true;
      break;
    }
  }
  while (true) {
    MaybeSendCancel();
    std::vector<std::string> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (!broken_ && !batches_.empty()) ||
               (cancel_wanted_ && !cancel_sent_ && !broken_);
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready), cancel_deadline_);
      if (stopping_) return;
      if (cancel_wanted_ && absl::Now() >= cancel_deadline_) {
        // The farm did not wind the build down in time: give up on it.
        cancel_deadline_ = absl::InfiniteFuture();
        stream_->Cancel();
        continue;
      }
      if (broken_ || batches_.empty()) continue;
      batch = std::move(batches_.front());
      batches_.pop_front();
    }
    UploadBatch(batch);
  }
}

}  // namespace farm::client::build
