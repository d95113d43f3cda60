#include "cache/remote/remote_streams.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cache/proto_convert.h"
#include "cache/remote/channel.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::cache {

RemoteBlobReader::RemoteBlobReader(proto::CacheService::Stub* stub,
                                   const Digest& digest) {
  proto::ReadRequest request;
  request.set_digest(digest.ToString());
  reader_ = stub->Read(&context_, request);
}

RemoteBlobReader::~RemoteBlobReader() {
  if (finished_) return;
  context_.TryCancel();
  reader_->Finish().ok();
}

absl::StatusOr<size_t> RemoteBlobReader::Read(char* buf, size_t size) {
  if (!error_.ok()) return error_;
  while (offset_ == message_.data().size()) {
    if (finished_) return 0;
    if (!reader_->Read(&message_)) {
      finished_ = true;
      error_ = FromGrpcStatus(reader_->Finish());
      if (!error_.ok()) return error_;
      return 0;
    }
    offset_ = 0;
  }
  size_t n = std::min(size, message_.data().size() - offset_);
  memcpy(buf, message_.data().data() + offset_, n);
  offset_ += n;
  return n;
}

RemoteBlobWriter::RemoteBlobWriter(proto::CacheService::Stub* stub,
                                   const Digest& digest,
                                   const RemoteOptions& options)
    : stub_(stub), digest_(digest), options_(options) {}

RemoteBlobWriter::~RemoteBlobWriter() {
  if (stream_ == nullptr || committed_ || !error_.ok()) return;
  context_->TryCancel();
  stream_->Finish().ok();
}

absl::Status RemoteBlobWriter::FinishStream() {
  error_ = FromGrpcStatus(stream_->Finish());
  if (error_.ok()) error_ = absl::InternalError("Write stream ended early");
  return error_;
}

absl::Status RemoteBlobWriter::Send(absl::string_view data) {
  if (stream_ == nullptr) {
    context_ = std::make_unique<grpc::ClientContext>();
    stream_ = stub_->Write(context_.get(), &response_);
  }
  do {
    proto::WriteRequest message;
    if (!sent_digest_) message.set_digest(digest_.ToString());
    size_t n = std::min(data.size(), options_.stream_chunk_bytes);
    message.set_data(data.data(), n);
    data.remove_prefix(n);
    // A failed write means the server ended the call; Finish says why.
    if (!stream_->Write(message)) return FinishStream();
    sent_digest_ = true;
  } while (!data.empty());
  return absl::OkStatus();
}

absl::Status RemoteBlobWriter::Write(absl::string_view data) {
  if (!error_.ok()) return error_;
  if (committed_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob writer for ", digest_.ToString(), " is already committed"));
  }
  if (stream_ != nullptr) return error_ = Send(data);
  buffer_.append(data.data(), data.size());
  if (buffer_.size() <= options_.max_batch_bytes) return absl::OkStatus();
  error_ = Send(buffer_);
  buffer_.clear();
  return error_;
}

absl::Status RemoteBlobWriter::Commit() {
  if (!error_.ok()) return error_;
  if (committed_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob writer for ", digest_.ToString(), " is already committed"));
  }
  committed_ = true;
  if (stream_ != nullptr) {
    stream_->WritesDone();
    error_ = FromGrpcStatus(stream_->Finish());
    return error_;
  }
  proto::BatchUpdateRequest request;
  proto::BatchUpdateRequest::Entry* entry = request.add_entries();
  entry->set_digest(digest_.ToString());
  *entry->mutable_data() = std::move(buffer_);
  proto::BatchUpdateResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  error_ = FromGrpcStatus(stub_->BatchUpdate(&context, request, &response));
  if (error_.ok() && response.statuses_size() != 1) {
    error_ = absl::InternalError(absl::StrCat(
        "BatchUpdate answered ", response.statuses_size(), " statuses for 1"));
  }
  if (error_.ok()) error_ = FromBlobStatus(response.statuses(0));
  return error_;
}

}  // namespace farm::cache
