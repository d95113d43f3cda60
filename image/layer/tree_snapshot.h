// Test support: a flattened description of a directory tree (type, mode,
// owner, size, content digest, link target, mtime, xattrs per path), to
// compare trees and to prove that nothing outside a rootfs changed.
#ifndef FARM_IMAGE_LAYER_TREE_SNAPSHOT_H_
#define FARM_IMAGE_LAYER_TREE_SNAPSHOT_H_

#include <map>
#include <string>

namespace farm::image::layer {

struct SnapshotOptions {
  bool mtimes = true;
  // Directory mtimes move whenever an entry is added; usually skip them.
  bool dir_mtimes = false;
};

// Relative path → description. Never follows symlinks. A missing `dir`
// gives an empty map.
std::map<std::string, std::string> SnapshotTree(const std::string& dir,
                                                SnapshotOptions options = {});

// Lines "path: description" for the differences between two snapshots.
std::string DiffSnapshots(const std::map<std::string, std::string>& before,
                          const std::map<std::string, std::string>& after);

}  // namespace farm::image::layer

#endif  // FARM_IMAGE_LAYER_TREE_SNAPSHOT_H_
