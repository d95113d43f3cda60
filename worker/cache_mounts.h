// CacheMounts: the persistent directories behind RUN --mount=type=cache.
// They live on the worker (under <root>/cache-mounts), outlive jobs, never
// reach a layer, and are shared by every job that names the same id
// (default: the mount's target) within one tenant, with BuildKit's sharing
// modes.
#ifndef FARM_WORKER_CACHE_MOUNTS_H_
#define FARM_WORKER_CACHE_MOUNTS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dockerfile/mount.h"
#include "worker/executor/cancellation.h"

namespace farm::worker {

// Thread-safe.
class CacheMounts {
 public:
  // `root` is created on first use.
  explicit CacheMounts(std::string root) : root_(std::move(root)) {}

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
  // kInvalidArgument for an unknown sharing mode.
  absl::StatusOr<Lease> Acquire(const std::string& tenant,
                                const dockerfile::Mount& mount,
                                const executor::Cancellation& cancel);

 private:
  struct Use {
    int shared = 0;
    bool exclusive = false;
  };

  void Release(const Lease& lease);
  absl::StatusOr<std::string> MakeDir(const std::string& path,
                                      const dockerfile::Mount& mount);

  const std::string root_;
  absl::Mutex mu_;
  std::map<std::string, Use> uses_ ABSL_GUARDED_BY(mu_);
  uint64_t next_temporary_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_CACHE_MOUNTS_H_
