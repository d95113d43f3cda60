// FileCacheMountPointers: CacheMountPointers in a directory under the
// scheduler's root, one small file per pointer (a text CacheMountPointer
// named by the hash of its tenant and id), each replaced by rename(2), so a
// crash leaves every pointer at its old generation or its new one. One
// scheduler owns the directory; the pointers are also held in memory.
#ifndef FARM_SCHEDULER_FILE_CACHE_MOUNT_POINTERS_H_
#define FARM_SCHEDULER_FILE_CACHE_MOUNT_POINTERS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "scheduler/cache_mount_pointers.h"

namespace farm::scheduler {

class FileCacheMountPointers : public CacheMountPointers {
 public:
  // Reads the pointers in `dir` (created 0700 if missing). kDataLoss naming
  // a file that does not parse. `clock` (not owned) stamps each update.
  static absl::StatusOr<std::unique_ptr<FileCacheMountPointers>> Open(
      std::string dir, const Clock* clock = RealClock::Get());

  absl::StatusOr<MountGeneration> Get(const CacheMountKey& key) override;
  absl::Status CompareAndSwap(const CacheMountKey& key, const Digest& expected,
                              const MountGeneration& next) override;
  absl::StatusOr<std::vector<Digest>> Pointed() override;

 private:
  FileCacheMountPointers(std::string dir, const Clock* clock)
      : dir_(std::move(dir)), clock_(clock) {}
  std::string FileOf(const CacheMountKey& key) const;

  const std::string dir_;
  const Clock* clock_;
  absl::Mutex mu_;
  std::map<CacheMountKey, MountGeneration> pointers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_FILE_CACHE_MOUNT_POINTERS_H_
