// How the client packs the context into Build stream messages: the
// manifest in chunks well under gRPC's 4 MB message limit, and each blob
// the farm asks for as a run of BlobChunks, the last one marked.
#ifndef FARM_CLIENT_BUILD_UPLOAD_MESSAGES_H_
#define FARM_CLIENT_BUILD_UPLOAD_MESSAGES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/context/context_blob_source.h"
#include "proto/build.pb.h"
#include "proto/context.pb.h"

namespace farm::client::build {

inline constexpr size_t kDefaultManifestChunkBytes = size_t{1} << 20;
inline constexpr size_t kDefaultBlobChunkBytes = size_t{1} << 20;

// The manifest as messages of about `max_bytes` each (an entry is never
// split; one entry is far below any sensible limit), in order, the last
// with `last` set. An empty manifest is one empty chunk.
std::vector<proto::BuildClientMessage> ManifestMessages(
    const proto::ContextManifest& manifest, size_t max_bytes);

// Streams blob `digest` from `blobs` through `write` in chunks of
// `chunk_bytes` (the last may be shorter, or empty for an empty blob). The
// last chunk is sent only once the source has verified the content, so a
// file that changed is never sent as complete. `stop` is polled between
// chunks. Returns the bytes sent. Errors: the source's (kNotFound,
// kAborted "file X changed during the build"), kCancelled when `stop`
// said so, kUnavailable when `write` failed.
absl::StatusOr<int64_t> SendBlob(
    context::BlobSource& blobs, const std::string& digest, size_t chunk_bytes,
    const std::function<bool(const proto::BuildClientMessage&)>& write,
    const std::function<bool()>& stop);

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_UPLOAD_MESSAGES_H_
