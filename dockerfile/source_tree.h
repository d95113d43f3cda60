// SourceTree: a read-only view of the files COPY and ADD read from (the
// build context's manifest on the scheduler, a materialised context or a
// stage's rootfs on a worker), so Docker's source-selection rules are
// written once, in source_selector.h, for all of them.
#ifndef FARM_DOCKERFILE_SOURCE_TREE_H_
#define FARM_DOCKERFILE_SOURCE_TREE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace farm::dockerfile {

struct SourceStat {
  enum class Type { kFile, kDirectory, kSymlink, kOther };
  Type type = Type::kFile;
  uint32_t mode = 0;  // permission bits with setuid/setgid/sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t size = 0;
  std::string digest;       // files, when the tree knows it ("" otherwise)
  std::string link_target;  // symlinks
  // Files known to be a hard link of an earlier path of the tree ("" when
  // not, or not known).
  std::string hardlink_of;
};

class SourceTree {
 public:
  virtual ~SourceTree() = default;
  // `path` is clean, relative and '/'-separated; "" is the root. Does not
  // follow a symlink at `path` itself, and expects no symlinks before it
  // (the selector resolves those). kNotFound when absent.
  virtual absl::StatusOr<SourceStat> Lstat(const std::string& path) const = 0;
  // Names in directory `path`, sorted bytewise. kNotFound when absent.
  virtual absl::StatusOr<std::vector<std::string>> List(
      const std::string& path) const = 0;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_SOURCE_TREE_H_
