// CacheMounts: the persistent directories behind RUN --mount=type=cache.
// They live on the worker (under <root>/cache-mounts), outlive jobs, never
// reach a layer, and are shared by every job that names the same id
// (default: the mount's target) within one tenant, with BuildKit's sharing
// modes. With a CacheMountSync they are shared with the other workers too:
// the first RUN to use a directory brings it to the newest generation, and
// PublishIdle offers what jobs changed (docs/worker.md).
#ifndef FARM_WORKER_CACHE_MOUNTS_H_
#define FARM_WORKER_CACHE_MOUNTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dockerfile/mount.h"
#include "worker/cache_mount_sync.h"
#include "worker/executor/cancellation.h"

namespace farm::worker {

// Thread-safe.
class CacheMounts {
 public:
  // `root` is created on first use. `sync` (not owned; null: the
  // directories stay on this worker) must outlive this.
  explicit CacheMounts(std::string root, CacheMountSync* sync = nullptr)
      : root_(std::move(root)), sync_(sync) {}

  // A directory in use by one RUN; releases it when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    const std::string& path() const { return path_; }

   private:
    friend class CacheMounts;
    CacheMounts* owner_ = nullptr;
    std::string key_;
    std::string path_;
    bool exclusive_ = false;
    bool temporary_ = false;
  };

  // The directory of `tenant` for `mount` (type=cache; one tenant's
  // directories are never another's), made with its mode (default
  // 0755) and uid/gid (default 0:0) the first time. sharing=shared lets any
  // number of RUNs use it at once; locked waits until no other RUN holds
  // it (kCancelled if `cancel` fires meanwhile); private uses it alone, or
  // a fresh empty directory, dropped afterwards, while it is busy.
  // kInvalidArgument for an unknown sharing mode. With a sync and the job's
  // `grant` (StageJob.cache_mount_grant), a directory no RUN holds is first
  // brought to the newest generation (CacheMountSync::Restore; a failure
  // is logged and the directory used as it is).
  absl::StatusOr<Lease> Acquire(const std::string& tenant,
                                const dockerfile::Mount& mount,
                                const executor::Cancellation& cancel,
                                const std::string& grant = "");

  // Publishes every directory used since its last publish that no RUN
  // holds now (CacheMountSync::Publish; failures are logged). A directory
  // still in use is left to the job using it, which calls this when it
  // ends. Stops between directories once `cancel` fires. Blocks for the
  // uploads; call it after a job's result is sent, and when draining.
  void PublishIdle(const executor::Cancellation& cancel);

 private:
  struct Use {
    int shared = 0;
    bool exclusive = false;
    // For sharing with other workers: the mount's id, the grant of the last
    // job that used it, whether it was used since its last publish, and
    // what it holds (loaded when first needed).
    std::string id;
    std::string grant;
    bool touched = false;
    std::optional<MountBase> base;
  };

  void Release(const Lease& lease);
  absl::StatusOr<std::string> MakeDir(const std::string& path,
                                      const dockerfile::Mount& mount);
  // Restores the directory `lease` holds alone; then, when `then_share`,
  // turns the lease into a shared one.
  void Restore(Lease& lease, bool then_share);
  void PublishOne(const std::string& key);
  // The base of `use`'s directory, loaded if needed. Called with mu_ held.
  MountBase BaseOf(const std::string& key, Use& use)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string root_;
  CacheMountSync* const sync_;
  absl::Mutex mu_;
  std::map<std::string, Use> uses_ ABSL_GUARDED_BY(mu_);
  uint64_t next_temporary_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_CACHE_MOUNTS_H_
