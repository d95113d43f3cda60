#include "client/build/upload_messages.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::client::build {

namespace {

// Fills `buf` of `size` bytes from `reader` until it is full or the stream
// ends; returns the bytes read (fewer than `size` only at the end).
absl::StatusOr<size_t> ReadFull(ByteReader& reader, char* buf, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    ASSIGN_OR_RETURN(size_t n, reader.Read(buf + filled, size - filled));
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
  // Left uninitialised: zeroing two 1 MiB buffers for each of 20,000 small
  // files cost more CPU than sending them (0.65 s of a 315 MB context).
  std::unique_ptr<char[]> current(new char[chunk_bytes]);
  std::unique_ptr<char[]> next(new char[chunk_bytes]);
  ASSIGN_OR_RETURN(size_t n, ReadFull(*reader, current.get(), chunk_bytes));
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
      ASSIGN_OR_RETURN(m, ReadFull(*reader, next.get(), chunk_bytes));
    }
    const bool last = n < chunk_bytes || m == 0;
    chunk->set_data(current.get(), n);
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
