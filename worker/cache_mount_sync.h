// CacheMountSync: keeps one cache mount's directory on this worker in step
// with the rest of the farm. Before a RUN uses a mount whose directory does
// not hold the newest generation, the directory is replaced by it; after
// jobs changed it, it is uploaded as a new generation and the pointer is
// advanced from the generation the directory started from, which fails when
// another worker advanced it first (that upload is then dropped). The
// caller (CacheMounts) holds the directory alone during both.
#ifndef FARM_WORKER_CACHE_MOUNT_SYNC_H_
#define FARM_WORKER_CACHE_MOUNT_SYNC_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "common/digest.h"
#include "worker/cache_mount_pointer_client.h"

namespace farm::worker {

// What a mount's directory holds, kept beside it in <dir>.base so that a
// restarted worker still knows.
struct MountBase {
  // The generation it was restored from or last published as; empty: none.
  Digest generation;
  // SummarizeDir's fingerprint at that moment; empty: unknown.
  Digest fingerprint;
};

// {} when `dir` has no base file yet; kDataLoss for one that does not parse.
absl::StatusOr<MountBase> LoadMountBase(const std::string& dir);

struct CacheMountSyncOptions {
  // A mount holding more bytes of files than this is not published: it
  // stays on this worker, with a log line (farm-worker
  // --cache-mount-max-bytes).
  uint64_t max_bytes = uint64_t{1} << 30;
  // Where tars are written before they are stored; created when needed.
  std::string scratch_dir;
};

// One cache mount: the grant of the job that used it last, its id, and its
// directory on this worker.
struct MountRef {
  std::string grant;
  std::string id;
  std::string dir;
};

// Thread-safe (each directory is the caller's to serialise).
class CacheMountSync {
 public:
  // Neither is owned.
  CacheMountSync(CacheMountPointerClient* pointers, cache::BlobStore* blobs,
                 CacheMountSyncOptions options)
      : pointers_(pointers), blobs_(blobs), options_(std::move(options)) {}

  // Asks for the newest generation and, unless `base` is it, replaces the
  // directory's contents with it (its own mode and owner stay). Returns the
  // new base. A generation that cannot be restored for good (gone from the
  // cache, damaged, unsafe, too big) is logged and skipped: the directory
  // keeps what it holds, and the next publish replaces that generation.
  // Other errors (the scheduler or the cache unreachable) are returned and
  // change nothing.
  absl::StatusOr<MountBase> Restore(const MountRef& mount,
                                    const MountBase& base);

  // Publishes the directory unless it is unchanged since `base` (by
  // fingerprint), empty without a generation to follow, or larger than
  // max_bytes (logged; it stays here). Returns the new base; a generation
  // that lost the race is logged and dropped, and the returned base keeps
  // the old generation, so the next use restores the winner. Errors: the
  // walk's, the tar's, the cache's and the scheduler's.
  absl::StatusOr<MountBase> Publish(const MountRef& mount,
                                    const MountBase& base);

 private:
  // Fetches `generation` into a fresh directory and swaps it with `dir`.
  absl::Status Replace(const std::string& dir, const Generation& generation);
  // Writes the directory's tar and stores it in the CAS.
  absl::StatusOr<Generation> Upload(const std::string& dir);
  std::string ScratchPath(const std::string& suffix);

  CacheMountPointerClient* pointers_;
  cache::BlobStore* blobs_;
  const CacheMountSyncOptions options_;
  std::atomic<uint64_t> next_scratch_{0};
};

}  // namespace farm::worker

#endif  // FARM_WORKER_CACHE_MOUNT_SYNC_H_
