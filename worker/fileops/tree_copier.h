// TreeCopier: copies selected sources from a DirectoryTree into a RootFs
// the way BuildKit's copier does for COPY and ADD:
//  - a directory's entries are copied depth first in sorted order; entries
//    below it keep their mode, owner, mtime and security.capability (other
//    xattrs do not survive a layer, so they are not copied); symlinks are
//    copied as symlinks; sockets are skipped;
//  - files that share an inode within what one written source selects stay
//    hardlinked;
//  - an existing directory below the top is merged into and takes the
//    source directory's metadata; the top directory keeps its own;
//  - a directory cannot replace a non-directory, nor a file a directory;
//    any other existing entry is replaced;
//  - --chown sets every copied entry's owner, --chmod the permission bits
//    (a source's setuid/setgid/sticky bits are kept, --chmod's own are not,
//    as in Docker 20.10's BuildKit);
//  - --exclude patterns match paths relative to the source; an excluded
//    directory is skipped unless an exception could bring back something
//    below it, in which case it is made only when needed.
// With CopyAttrs::link, files are hard-linked instead of copied where that
// gives the same layer (see LinkInto).
#ifndef FARM_WORKER_FILEOPS_TREE_COPIER_H_
#define FARM_WORKER_FILEOPS_TREE_COPIER_H_

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/source_selector.h"
#include "worker/fileops/directory_tree.h"
#include "worker/fileops/root_fs.h"

namespace farm::fileops {

// Hard links in place of copies. A regular file of a source tree whose
// files are never changed in place (the build context: its mirror replaces
// a file by writing a new one) that already has the owner, mode and
// whole-second mtime the copy would give it, and that its layer form keeps
// as it is, is linked into the overlay upper dir behind the RootFs instead
// of having its bytes written again. A link cannot cross the overlay mount,
// so the merged view does not show these files: whoever reads the copy's
// result reads the upper dir.
struct LinkInto {
  int upper_fd = -1;  // O_PATH fd of the upper dir; not owned
  // The layer form clamps later mtimes to SOURCE_DATE_EPOCH, which would
  // change the shared inode: such files are copied.
  std::optional<int64_t> newest_mtime;
  // Inodes the copiers of one COPY have linked, shared between them; may
  // be null when there is one.
  std::set<std::pair<dev_t, ino_t>>* claimed = nullptr;
};

struct CopyAttrs {
  // Owner of every copied entry; nullopt keeps each source entry's owner.
  std::optional<Owner> owner;
  // --chmod: replaces the permission bits (0777) of files and directories.
  std::optional<uint32_t> chmod;
  // --exclude; not owned, may be null.
  const dockerfile::IgnoreMatcher* excludes = nullptr;
  // Link rather than copy where possible; nullopt always copies.
  std::optional<LinkInto> link;
};

// One copier serves one written source (its hardlink memory spans the
// matches of that source). Not thread-safe.
class TreeCopier {
 public:
  TreeCopier(const DirectoryTree& tree, const RootFs& root, CopyAttrs attrs)
      : tree_(tree), root_(root), attrs_(std::move(attrs)) {}

  // Copies `source` to `target`, a resolved path from PrepareTarget: a file
  // becomes `target`; a directory's contents go into directory `target`.
  absl::Status CopyTo(const dockerfile::SelectedSource& source,
                      const std::string& target);

  // COPY --parents: copies `source` to <dest_dir>/<under>, where `under` is
  // its path below the pivot `pivot`; the directories on the way are made
  // like their source counterparts. A directory source is copied itself,
  // not only its contents.
  absl::Status CopyUnder(const dockerfile::SelectedSource& source,
                         const std::string& pivot, const std::string& under,
                         const std::string& dest_dir);

  // Entries created or replaced so far, and how many of them are links
  // into the upper dir.
  int64_t entries() const { return entries_; }
  int64_t linked() const { return linked_; }

 private:
  struct Level;
  struct PendingLink;

  absl::Status Entry(Level& parent, const std::string& name);
  absl::Status CopyDirectory(Level& level);
  // Copies or links one entry that is not a directory; a regular file of
  // a listed directory that can be linked joins its batch.
  absl::Status CopyLeaf(Level& parent, const std::string& name,
                        const std::string& src, const struct stat& st);
  absl::Status CopyFile(Level& parent, const std::string& name,
                        const std::string& src, const struct stat& st);
  absl::Status CopyOther(Level& parent, const std::string& name,
                         const std::string& src, const struct stat& st);
  absl::Status Materialize(Level& level);
  // Whether a regular file may be linked into the upper dir rather than
  // copied (attrs_.link, its metadata, the inodes other copiers linked);
  // opens the upper dir of `parent` when so.
  absl::StatusOr<bool> LinkCandidate(Level& parent, const struct stat& st);
  bool Linkable(const struct stat& st) const;
  // Links the open source file `file` as `name` into the upper dir of
  // `parent`; false when it has to be copied instead. Safe on two threads
  // at once with different `slot`s (each has its own temporary name).
  absl::StatusOr<bool> LinkOne(int file, const Level& parent,
                               const std::string& name, int slot);
  // Links the batch of `level`, half of a big one on a second thread, and
  // copies what could not be linked.
  absl::Status LinkPending(Level& level);
  // Counts a linked file.
  void Linked(const struct stat& st);
  // linkat of the open file `fd` as `name` in `dir`; -1 and errno on error.
  int LinkOpenFile(int fd, int dir, const char* name);
  // The upper dir's counterpart of `level`, copied up first if only a
  // lower layer has it; -1 when there is none to link into.
  absl::StatusOr<int> UpperDir(Level& level);
  // The regular file `name` of the source directory of `parent` (path
  // `src` in the tree), through the directory's fd while it is open.
  absl::StatusOr<ScopedFd> OpenSource(const Level& parent,
                                      const std::string& name,
                                      const std::string& src) const;
  // Writes the bytes of the open file `in` (`src`) as `name` in `dirfd`.
  absl::Status CopyContent(int in, const std::string& src, int dirfd,
                           const std::string& name, const std::string& target);
  absl::Status ApplyMetadata(int dirfd, const std::string& name,
                             const std::string& target, const std::string& src,
                             const struct stat& st);

  const DirectoryTree& tree_;
  const RootFs& root_;
  CopyAttrs attrs_;
  // Source inode → the first target made for it.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  int64_t entries_ = 0;
  int64_t linked_ = 0;
  std::set<std::pair<dev_t, ino_t>> linked_inodes_;
  // Set when the filesystem refuses links (another device, no permission):
  // the rest is copied. Both are set by LinkOne, on either thread.
  std::atomic<bool> links_refused_{false};
  // Set when linkat refused a descriptor: links go by /proc/self/fd names.
  std::atomic<bool> link_by_proc_{false};
};

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_TREE_COPIER_H_
