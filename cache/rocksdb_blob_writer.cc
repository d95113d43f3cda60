#include "cache/rocksdb_blob_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache {

RocksDbBlobWriter::RocksDbBlobWriter(RocksDbBlobStore* store,
                                     const Digest& digest, uint64_t upload_id)
    : HashingBlobWriter(digest), store_(store), upload_id_(upload_id) {}

RocksDbBlobWriter::~RocksDbBlobWriter() {
  if (finished_) return;
  if (file_ != nullptr) {
    file_.reset();
    store_->files_->RemoveTemp(upload_id_);
  }
  store_->AbortUpload(upload_id_, chunks_written_, began_);
}

absl::Status RocksDbBlobWriter::Append(absl::string_view data) {
  bytes_ += data.size();
  uint64_t budget = store_->options_.max_bytes;
  if (budget != 0 && bytes_ > budget) {
    return absl::ResourceExhaustedError(
        absl::StrCat("blob ", expected().ToString(), " of ", bytes_,
                     " bytes exceeds the cache budget of ", budget, " bytes"));
  }
  if (file_ != nullptr) return file_->Write(data);
  uint64_t threshold = store_->options_.file_threshold;
  if (threshold == 0) return AppendChunks(data);
  if (bytes_ > threshold) return SwitchToFile(data);
  pending_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status RocksDbBlobWriter::SwitchToFile(absl::string_view data) {
  RETURN_IF_ERROR(store_->MakeRoom());
  ASSIGN_OR_RETURN(file_, store_->files_->CreateTemp(upload_id_));
  RETURN_IF_ERROR(file_->Write(pending_));
  std::string().swap(pending_);
  return file_->Write(data);
}

absl::Status RocksDbBlobWriter::AppendChunks(absl::string_view data) {
  const size_t chunk = store_->options_.chunk_size;
  while (!data.empty()) {
    if (buffer_.empty() && data.size() >= chunk) {
      RETURN_IF_ERROR(FlushChunk(data.substr(0, chunk)));
      data.remove_prefix(chunk);
      continue;
    }
    size_t take = std::min(chunk - buffer_.size(), data.size());
    buffer_.append(data.data(), take);
    data.remove_prefix(take);
    if (buffer_.size() == chunk) {
      RETURN_IF_ERROR(FlushChunk(buffer_));
      buffer_.clear();
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbBlobWriter::FlushChunk(absl::string_view chunk) {
  if (!began_) {
    RETURN_IF_ERROR(store_->BeginUpload(upload_id_));
    began_ = true;
  }
  RETURN_IF_ERROR(store_->WriteChunk(upload_id_, chunks_written_, chunk));
  ++chunks_written_;
  return absl::OkStatus();
}

absl::Status RocksDbBlobWriter::Finish(uint64_t size) {
  absl::Status committed;
  if (file_ != nullptr) {
    RETURN_IF_ERROR(file_->Close());
    finished_ = true;  // CommitFile cleans up after itself on failure.
    committed = store_->CommitFile(expected(), upload_id_, size);
  } else {
    std::string pending = std::move(pending_);
    RETURN_IF_ERROR(AppendChunks(pending));
    finished_ = true;  // CommitUpload cleans up after itself on failure.
    committed = store_->CommitUpload(expected(), upload_id_, size,
                                     chunks_written_, buffer_, began_);
  }
  if (committed.ok()) {
    CacheCounters::Add(store_->counters_->bytes_written, size);
  }
  return committed;
}

}  // namespace farm::cache
