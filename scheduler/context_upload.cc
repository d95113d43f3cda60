#include "scheduler/context_upload.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::scheduler {

ContextUpload::ContextUpload(const std::vector<Digest>& asked,
                             cache::BlobStore* blobs)
    : blobs_(blobs) {
  for (const Digest& digest : asked) asked_.insert(digest.ToString());
  waiting_ = asked_;
}

void ContextUpload::OnReattach() { writer_.reset(); }

absl::Status ContextUpload::OnChunk(const proto::BlobChunk& chunk) {
  if (!waiting_.count(chunk.digest())) {
    if (asked_.count(chunk.digest())) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("the client sent blob ", chunk.digest(),
                     ", which the build did not ask for"));
  }
  if (writer_ == nullptr || current_ != chunk.digest()) {
    ASSIGN_OR_RETURN(Digest digest, Digest::Parse(chunk.digest()));
    ASSIGN_OR_RETURN(writer_, blobs_->Put(digest));
    current_ = chunk.digest();
  }
  RETURN_IF_ERROR(writer_->Write(chunk.data()));
  written_bytes_ += chunk.data().size();
  if (chunk.last()) {
    RETURN_IF_ERROR(Annotate(writer_->Commit(),
                             absl::StrCat("context file ", chunk.digest())));
    writer_.reset();
    waiting_.erase(chunk.digest());
  }
  return absl::OkStatus();
}

}  // namespace farm::scheduler
