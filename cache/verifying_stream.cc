#include "cache/verifying_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace farm::cache {

absl::Status DigestMismatchError(const Digest& expected, const Digest& actual,
                                 uint64_t size) {
  return absl::InvalidArgumentError(
      absl::StrCat("upload of blob ", expected.ToString(), " rejected: its ",
                   size, " bytes hash to ", actual.ToString()));
}

VerifyingReader::VerifyingReader(std::unique_ptr<ByteReader> inner,
                                 Digest expected,
                                 std::function<void()> on_corrupt,
                                 std::atomic<uint64_t>* bytes_read)
    : inner_(std::move(inner)),
      expected_(std::move(expected)),
      on_corrupt_(std::move(on_corrupt)),
      bytes_read_(bytes_read) {}

absl::Status VerifyingReader::Fail(absl::Status status) {
  error_ = status;
  if (status.code() == absl::StatusCode::kDataLoss && on_corrupt_) {
    std::function<void()> callback = std::move(on_corrupt_);
    on_corrupt_ = nullptr;
    callback();
  }
  return status;
}

absl::StatusOr<size_t> VerifyingReader::Read(char* buf, size_t size) {
  if (!error_.ok()) return error_;
  if (done_) return 0;
  absl::StatusOr<size_t> n = inner_->Read(buf, size);
  if (!n.ok()) {
    return Fail(absl::Status(n.status().code(),
                             absl::StrCat("reading blob ", expected_.ToString(),
                                          ": ", n.status().message())));
  }
  if (*n > 0) {
    hasher_.Update(buf, *n);
    if (bytes_read_ != nullptr) {
      bytes_read_->fetch_add(*n, std::memory_order_relaxed);
    }
    return n;
  }
  if (size == 0) return 0;
  done_ = true;
  uint64_t bytes = hasher_.bytes();
  Digest actual = hasher_.Finish();
  if (actual != expected_) {
    return Fail(absl::DataLossError(absl::StrCat(
        "blob ", expected_.ToString(), " is corrupt: its ", bytes,
        " stored bytes hash to ", actual.ToString(), "; it has been removed")));
  }
  return 0;
}

absl::Status HashingBlobWriter::Write(absl::string_view data) {
  if (!error_.ok()) return error_;
  if (closed_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob writer for ", expected_.ToString(), " is already committed"));
  }
  hasher_.Update(data);
  error_ = Append(data);
  return error_;
}

absl::Status HashingBlobWriter::Commit() {
  if (!error_.ok()) return error_;
  if (closed_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob writer for ", expected_.ToString(), " is already committed"));
  }
  closed_ = true;
  uint64_t size = hasher_.bytes();
  Digest actual = hasher_.Finish();
  if (actual != expected_) {
    error_ = DigestMismatchError(expected_, actual, size);
    return error_;
  }
  error_ = Finish(size);
  return error_;
}

}  // namespace farm::cache
