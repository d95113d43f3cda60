// Mount-point stubs: runc creates missing mount targets in the rootfs, where
// an overlay would turn them into layer entries. MountStubs creates them
// itself before a run and removes those still empty afterwards.
#ifndef FARM_WORKER_EXECUTOR_MOUNT_STUBS_H_
#define FARM_WORKER_EXECUTOR_MOUNT_STUBS_H_

#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace farm::executor {

class MountStubs {
 public:
  struct Target {
    std::string path;      // absolute inside the container
    bool is_file = false;  // a bind mount of a file needs a file stub
    // False: leave this target to runc (it stays if runc creates it), and
    // the targets below it as well.
    bool manage = true;
  };

  // Creates each missing target and its missing parents inside `rootfs`
  // (directories 0755, files 0644, empty), resolving symlinks within the
  // rootfs as runc does. A target below an earlier target is skipped: runc
  // creates it inside that mount, not in the rootfs. On error, the stubs
  // made so far are removed again.
  static absl::StatusOr<MountStubs> Create(const std::string& rootfs,
                                           const std::vector<Target>& targets);

  MountStubs() = default;
  MountStubs(MountStubs&&) = default;
  MountStubs& operator=(MountStubs&&) = default;

  // Removes the stubs that are still stubs (an empty directory, an empty
  // regular file), deepest first; a stub the process filled is real content
  // and stays. Each pre-existing directory that held stubs gets its atime and
  // mtime back: the ones from before Create if the process did not change
  // the directory, else the ones it had when the run ended. Must be called
  // after the container is gone. Keeps going past errors and returns the
  // first. Calling it again does nothing.
  absl::Status Remove();

  // Paths of the stubs created, relative to the rootfs, in creation order.
  std::vector<std::string> created() const;

 private:
  struct Stub {
    std::string rel;
    bool is_dir;
  };
  struct Parent {
    std::string rel;
    struct timespec atime, mtime;  // before Create
    struct timespec mtime_after_create;
  };

  absl::Status CreateOne(const Target& target);

  std::string rootfs_;
  std::vector<Stub> stubs_;
  std::vector<Parent> parents_;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_MOUNT_STUBS_H_
