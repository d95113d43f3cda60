// FailoverBlobWriter: the writer of a ShardedBlobStore. It streams to the
// digest's first live node and, while the blob is small, survives that
// node's death by replaying the blob on the next node.
#ifndef FARM_CACHE_SHARDED_FAILOVER_BLOB_WRITER_H_
#define FARM_CACHE_SHARDED_FAILOVER_BLOB_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "cache/blob_store.h"
#include "cache/sharded/shard_router.h"

namespace farm::cache {

// A node's writer may fail at any Write or at Commit when the node dies
// (a remote writer holds a batch's worth of bytes and sends them only at
// Commit). On kUnavailable or kDeadlineExceeded the node is marked down,
// then:
//   - while everything written so far is at most `replay_bytes`, kept in a
//     copy, a writer is opened on the digest's next live node, the copy is
//     written to it, and the failed call is carried out there; the caller
//     sees nothing. Committing the same blob twice is harmless (the nodes
//     share one object store and blobs are content-addressed).
//   - past `replay_bytes` the copy has been dropped, and the call returns
//     kUnavailable naming the node: the caller puts the blob again, and
//     since the node is now skipped, the new Put goes to the next node.
// Other errors are the node's answer and are returned as they are. After
// an error the writer stays failed. Not thread-safe, like any BlobWriter.
class FailoverBlobWriter : public BlobWriter {
 public:
  // Opens a writer on the digest's first live node. `router` and the
  // stores (one per node, in the router's order) are not owned and must
  // outlive the writer. Errors: Put's, or kUnavailable when no node
  // answers (RankCursor::Exhausted).
  static absl::StatusOr<std::unique_ptr<BlobWriter>> Open(
      const ShardRouter* router, const std::vector<BlobStore*>* stores,
      const Digest& digest, size_t replay_bytes);

  absl::Status Write(absl::string_view data) override;
  absl::Status Commit() override;

 private:
  FailoverBlobWriter(const ShardRouter* router,
                     const std::vector<BlobStore*>* stores,
                     const Digest& digest, size_t replay_bytes);

  // Opens a writer on the next live node and replays the copy on it.
  absl::Status OpenNext();
  // Called when node_ failed with `status` (a node failure).
  absl::Status FailOver(const absl::Status& status);

  const ShardRouter* router_;
  const std::vector<BlobStore*>* stores_;
  const Digest digest_;
  const size_t replay_bytes_;
  RankCursor cursor_;
  size_t node_ = 0;
  std::unique_ptr<BlobWriter> writer_;
  std::string copy_;  // everything written, while replayable_
  bool replayable_ = true;
  uint64_t written_ = 0;
  absl::Status error_;  // sticky, once failing over failed
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_FAILOVER_BLOB_WRITER_H_
