// ContextUpload: the scheduler's side of one upload of context files, kept
// apart from the session's threads and streams so that its rules can be
// tested alone: which blobs are still awaited, where each chunk goes, and
// what a client that re-attached mid-upload may send again.
#ifndef FARM_SCHEDULER_CONTEXT_UPLOAD_H_
#define FARM_SCHEDULER_CONTEXT_UPLOAD_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cache/blob_store.h"
#include "common/digest.h"
#include "proto/build.pb.h"

namespace farm::scheduler {

// Not thread-safe: one session thread feeds it.
class ContextUpload {
 public:
  // Awaits every blob of `asked` (what the build asked the client for);
  // stores them in `blobs`, which is not owned.
  ContextUpload(const std::vector<Digest>& asked, cache::BlobStore* blobs);

  // The client re-attached: it sends the blob it was sending again from its
  // start, so what arrived of that blob is dropped.
  void OnReattach();

  // Takes one chunk. A chunk of a blob already stored is ignored (a client
  // that re-attached may send it again). kInvalidArgument for a blob the
  // build did not ask for; the store's errors otherwise, a failed commit
  // naming the blob ("context file sha256:…: …").
  absl::Status OnChunk(const proto::BlobChunk& chunk);

  // Every blob asked for is stored.
  bool done() const { return waiting_.empty(); }
  // Bytes of chunks written so far, re-sent ones included.
  int64_t written_bytes() const { return written_bytes_; }

 private:
  cache::BlobStore* blobs_;
  std::set<std::string> asked_;
  std::set<std::string> waiting_;
  // The blob being written, and its digest.
  std::unique_ptr<cache::BlobWriter> writer_;
  std::string current_;
  int64_t written_bytes_ = 0;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_CONTEXT_UPLOAD_H_
