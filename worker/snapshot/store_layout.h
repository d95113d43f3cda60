// StoreLayout: the directories of the snapshot store under a worker's root,
// and the small metadata file each unpacked layer keeps, so the store, its
// workspaces and crash recovery agree on every path.
//
//   <root>/layers/<hex>/fs    an unpacked layer in overlay form (lower dir)
//   <root>/layers/<hex>/meta  its size and short link name
//   <root>/l/<link>           -> ../layers/<hex>/fs, short names that keep
//                             the overlay mount options within a page
//   <root>/tmp/               unpacks and commits in progress; wiped at start
//   <root>/work/<n>/          a workspace: upper/, work/, merged/
//   <root>/empty/             the lower dir of an empty chain (FROM scratch)
#ifndef FARM_WORKER_SNAPSHOT_STORE_LAYOUT_H_
#define FARM_WORKER_SNAPSHOT_STORE_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/digest.h"

namespace farm::snapshot {

// What a layer directory records about itself.
struct LayerMeta {
  uint64_t bytes = 0;  // disk usage of fs/
  std::string link;    // name in l/
};

class StoreLayout {
 public:
  explicit StoreLayout(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string LayersDir() const { return root_ + "/layers"; }
  std::string LayerDir(const Digest& diff_id) const {
    return LayersDir() + "/" + diff_id.hex();
  }
  std::string LayerFs(const Digest& diff_id) const {
    return LayerDir(diff_id) + "/fs";
  }
  std::string LinksDir() const { return root_ + "/l"; }
  // The link as overlay options name it, relative to root().
  static std::string LinkOption(const std::string& link) { return "l/" + link; }
  std::string TmpDir() const { return root_ + "/tmp"; }
  std::string WorkDir() const { return root_ + "/work"; }
  std::string EmptyDir() const { return root_ + "/empty"; }
  // The boot of the kernel that last opened the store.
  std::string BootIdFile() const { return root_ + "/boot_id"; }

  // Creates the fixed directories that are missing, and makes them all
  // 0700: layers hold whatever builds made (setuid programs, device nodes,
  // secrets a RUN wrote), which no other local user may reach.
  absl::Status MakeDirs() const;

 private:
  std::string root_;
};

// meta holds "bytes <n>\nlink <name>\n". Reading fails with kDataLoss when
// the file is malformed, kNotFound when it is missing.
absl::Status WriteLayerMeta(const std::string& layer_dir,
                            const LayerMeta& meta);
absl::StatusOr<LayerMeta> ReadLayerMeta(const std::string& layer_dir);

// What l/<link> holds for a layer: "../layers/<hex>/fs".
std::string LayerLinkTarget(const Digest& diff_id);
// (Re)creates the link at `path` for `diff_id`.
absl::Status MakeLayerLink(const std::string& path, const Digest& diff_id);
// The target of the link at `path`, "" when it is not a readable link.
std::string ReadLayerLink(const std::string& path);

// Bytes of disk `dir` takes (allocated blocks), each inode counted once.
// Never follows symlinks.
absl::StatusOr<uint64_t> DiskUsage(const std::string& dir);

}  // namespace farm::snapshot

#endif  // FARM_WORKER_SNAPSHOT_STORE_LAYOUT_H_
