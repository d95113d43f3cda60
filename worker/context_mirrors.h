// ContextMirrors: build contexts kept on the worker's disk between jobs, as
// BuildKit keeps its copy of a local context. A job leases a mirror; the
// mirror is synced to the job's manifest (only what differs from what it
// held is written or removed) and is read-only until the lease ends.
//
// Writing every context file anew for each job and deleting it after was
// most of a one-file-changed rebuild: 20,000 creates, and on ext4 without a
// journal every create scans past the inodes deleted in the last minute.
#ifndef FARM_WORKER_CONTEXT_MIRRORS_H_
#define FARM_WORKER_CONTEXT_MIRRORS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "common/blocking_queue.h"
#include "proto/context.pb.h"

namespace farm::worker {

struct ContextMirrorsOptions {
  // <root>/<id> holds a mirror, <root>/<id>.manifest what it holds.
  std::string root;
  // Unleased mirrors kept, and the file bytes they may hold together; past
  // either, the least recently used unleased mirror is removed.
  int max_mirrors = 2;
  uint64_t max_bytes = uint64_t{2} << 30;
};

class ContextMirrors {
 public:
  // Keeps the mirrors a previous process recorded as complete; removes
  // anything else under the root.
  static absl::StatusOr<std::unique_ptr<ContextMirrors>> Open(
      ContextMirrorsOptions options);
  ~ContextMirrors();

  class Lease {
   public:
    ~Lease();
    // The mirror: exactly the manifest's entries. Read it, never write it.
    const std::string& dir() const;

   private:
    friend class ContextMirrors;
    struct Mirror;
    Lease(ContextMirrors* owner, Mirror* mirror)
        : owner_(owner), mirror_(mirror) {}
    ContextMirrors* owner_;
    Mirror* mirror_;
  };

  // A mirror holding `manifest`: the unleased one that already holds most
  // of its bytes, else a new one. Thread-safe. Errors are
  // SyncContext's; the mirror that failed is removed.
  absl::StatusOr<std::unique_ptr<Lease>> Acquire(
      const proto::ContextManifest& manifest, cache::BlobStore& blobs);

  // Mirrors on disk, leased or not.
  int size() const;

 private:
  using Mirror = Lease::Mirror;
  explicit ContextMirrors(ContextMirrorsOptions options);

  void Release(Mirror* mirror);
  // Takes `mirror` out of the pool and deletes its files in the
  // background.
  void Discard(Mirror* mirror) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string StatePath(const Mirror& mirror) const;

  const ContextMirrorsOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Mirror>> mirrors_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
  // Directories renamed out of the pool, deleted one by one.
  BlockingQueue<std::string> trash_;
  std::thread remover_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_CONTEXT_MIRRORS_H_
