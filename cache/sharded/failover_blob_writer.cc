#include "cache/sharded/failover_blob_writer.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::cache {

FailoverBlobWriter::FailoverBlobWriter(const ShardRouter* router,
                                       const std::vector<BlobStore*>* stores,
                                       const Digest& digest,
                                       size_t replay_bytes)
    : router_(router),
      stores_(stores),
      digest_(digest),
      replay_bytes_(replay_bytes),
      cursor_(*router, digest) {}

absl::StatusOr<std::unique_ptr<BlobWriter>> FailoverBlobWriter::Open(
    const ShardRouter* router, const std::vector<BlobStore*>* stores,
    const Digest& digest, size_t replay_bytes) {
  std::unique_ptr<FailoverBlobWriter> writer(
      new FailoverBlobWriter(router, stores, digest, replay_bytes));
  RETURN_IF_ERROR(writer->OpenNext());
  return writer;
}

absl::Status FailoverBlobWriter::OpenNext() {
  while (std::optional<size_t> node = cursor_.Next()) {
    absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
        (*stores_)[*node]->Put(digest_);
    absl::Status status = writer.status();
    if (status.ok() && !copy_.empty()) status = (*writer)->Write(copy_);
    if (cursor_.NodeFailed(*node, status)) continue;
    RETURN_IF_ERROR(status);
    node_ = *node;
    writer_ = std::move(*writer);
    return absl::OkStatus();
  }
  return cursor_.Exhausted("putting blob");
}

absl::Status FailoverBlobWriter::FailOver(const absl::Status& status) {
  writer_.reset();  // cancels the dead node's upload
  if (!replayable_) {
    error_ = absl::UnavailableError(absl::StrCat(
        "putting blob ", digest_.ToString(), ": cache node ",
        router_->address(node_), " failed after ", written_,
        " bytes, more than the ", replay_bytes_,
        " a writer keeps to replay elsewhere; put the blob again (the node "
        "is skipped now): ",
        status.ToString()));
    return error_;
  }
  error_ = OpenNext();
  return error_;
}

absl::Status FailoverBlobWriter::Write(absl::string_view data) {
  RETURN_IF_ERROR(error_);
  written_ += data.size();
  if (replayable_ && written_ <= replay_bytes_) {
    copy_.append(data.data(), data.size());
  } else if (replayable_) {
    replayable_ = false;
    std::string().swap(copy_);
  }
  absl::Status status = writer_->Write(data);
  if (!cursor_.NodeFailed(node_, status)) return status;
  // The copy, replayed by FailOver, already holds `data`.
  return FailOver(status);
}

absl::Status FailoverBlobWriter::Commit() {
  RETURN_IF_ERROR(error_);
  while (true) {
    absl::Status status = writer_->Commit();
    if (!cursor_.NodeFailed(node_, status)) {
      if (status.ok()) std::string().swap(copy_);
      return status;
    }
    RETURN_IF_ERROR(FailOver(status));
  }
}

}  // namespace farm::cache
