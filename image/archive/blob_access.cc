#include "image/archive/blob_access.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::image::archive {

absl::StatusOr<Digest> PutBlob(BlobSink& sink, absl::string_view data) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlobUpload> up, sink.Begin(data.size()));
  RETURN_IF_ERROR(up->Write(data));
  RETURN_IF_ERROR(up->Close());
  Digest d = Digest::Of(data);
  RETURN_IF_ERROR(up->Commit(d));
  return d;
}

absl::StatusOr<std::string> ReadBlob(BlobSource& source, const Digest& digest,
                                     size_t max_bytes) {
  ASSIGN_OR_RETURN(OpenedBlob blob, source.Open(digest));
  if (blob.size > static_cast<int64_t>(max_bytes)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("blob ", digest.ToString(), " has ", blob.size,
                     " bytes, more than ", max_bytes));
  }
  ASSIGN_OR_RETURN(std::string data, ReadAll(*blob.reader, max_bytes));
  if (Digest::Of(data) != digest) {
    return absl::DataLossError(
        absl::StrCat("blob ", digest.ToString(), " does not match its digest"));
  }
  return data;
}

}  // namespace farm::image::archive
