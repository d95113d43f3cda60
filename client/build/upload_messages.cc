#include "client/build/upload_messages.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::client::build {

namespace {

// Fills `buf` from `reader` until it is full or the stream ends; returns
// the bytes read (fewer than buf->size() only at the end).
absl::StatusOr<size_t> ReadFull(ByteReader& reader, std::string* buf) {
  size_t filled = 0;
  while (filled < buf->size()) {
    ASSIGN_OR_RETURN(size_t n,
                     reader.Read(buf->data() + filled, buf->size() - filled));
    if (n == 0) break;
    filled += n;
  }
  return filled;
}

}  // namespace

std::vector<proto::BuildClientMessage> ManifestMessages(
    const proto::ContextManifest& manifest, size_t max_bytes) {
  std::vector<proto::BuildClientMessage> out;
  out.emplace_back();
  size_t bytes = 0;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    size_t size = entry.ByteSizeLong() + 8;  // field tag and length
    if (bytes > 0 && bytes + size > max_bytes) {
      out.emplace_back();
      bytes = 0;
    }
    *out.back().mutable_manifest()->add_entries() = entry;
    bytes += size;
  }
  out.back().mutable_manifest()->set_last(true);
  return out;
}

absl::StatusOr<int64_t> SendBlob(
    context::BlobSource& blobs, const std::string& digest, size_t chunk_bytes,
    const std::function<bool(const proto::BuildClientMessage&)>& write,
    const std::function<bool()>& stop) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, blobs.Open(digest));
  std::string current(chunk_bytes, '\0');
  std::string next(chunk_bytes, '\0');
  ASSIGN_OR_RETURN(size_t n, ReadFull(*reader, &current));
  int64_t sent = 0;
  proto::BuildClientMessage message;
  proto::BlobChunk* chunk = message.mutable_blob();
  chunk->set_digest(digest);
  while (true) {
    if (stop()) return absl::CancelledError("upload stopped");
    // A full chunk may be followed by more: read ahead to know whether
    // this one is the last.
    size_t m = 0;
    if (n == chunk_bytes) {
      ASSIGN_OR_RETURN(m, ReadFull(*reader, &next));
    }
    const bool last = n < chunk_bytes || m == 0;
    chunk->set_data(current.data(), n);
    chunk->set_last(last);
    if (!write(message)) {
      return absl::UnavailableError(
          absl::StrCat("the connection dropped while sending ", digest));
    }
    sent += n;
    if (last) return sent;
    current.swap(next);
    n = m;
  }
}

}  // namespace farm::client::build
