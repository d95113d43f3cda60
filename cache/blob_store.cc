#include "cache/blob_store.h"

#include "common/status_macros.h"

namespace farm::cache {

absl::Status BlobStore::PutFile(const Digest& digest, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, OpenFileReader(path));
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, Put(digest));
  RETURN_IF_ERROR(Copy(*reader, *writer).status());
  return writer->Commit();
}

std::vector<absl::StatusOr<std::string>> BlobStore::GetSmall(
    absl::Span<const Digest> digests) {
  std::vector<absl::StatusOr<std::string>> out;
  out.reserve(digests.size());
  for (const Digest& digest : digests) out.push_back(GetBlob(*this, digest));
  return out;
}

absl::Status PutBlob(BlobStore& store, absl::string_view data) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer,
                   store.Put(Digest::Of(data)));
  RETURN_IF_ERROR(writer->Write(data));
  return writer->Commit();
}

absl::StatusOr<std::string> GetBlob(BlobStore& store, const Digest& digest,
                                    size_t max_bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, store.Get(digest));
  return ReadAll(*reader, max_bytes);
}

}  // namespace farm::cache
