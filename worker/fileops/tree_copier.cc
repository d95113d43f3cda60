#include "worker/fileops/tree_copier.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/layer/whiteout.h"
#include "worker/fileops/new_file.h"
#include "worker/fileops/rel_path.h"

namespace farm::fileops {
namespace {

absl::Status Failed(absl::string_view what, const std::string& target) {
  return ErrnoStatus(errno, absl::StrCat(what, " ", ContainerPath(target)));
}

}  // namespace

// A regular file whose link into the upper dir waits for its directory's
// batch (TreeCopier::LinkPending).
struct TreeCopier::PendingLink {
  std::string name;
  std::string src;
  struct stat st;
};

// A directory of the copy: its source, its target, and the fd of the target
// once it exists (an excluded directory is made only when something below
// it is copied).
struct TreeCopier::Level {
  Level* parent = nullptr;
  std::string name;    // of the target in the parent's target
  std::string target;  // resolved path in the rootfs
  std::string src;     // path in the tree
  std::string rel;     // path below the copied source, for --exclude
  struct stat st = {};
  bool overwrite_meta = true;  // false only for the top of a copy
  ScopedFd fd;                 // O_PATH fd of the target directory
  ScopedFd src_dir;            // the source directory, while it is copied
  // Files of this directory to link, in one batch once it is listed.
  std::vector<PendingLink> pending;
  bool created = false;
  ScopedFd upper;              // its upper dir, once a link needs it
  bool no_upper = false;
};

absl::Status TreeCopier::CopyTo(const dockerfile::SelectedSource& source,
                                const std::string& target) {
  ASSIGN_OR_RETURN(struct stat st, tree_.Stat(source.path));
  Level holder;
  holder.target = RelParent(target);
  ASSIGN_OR_RETURN(holder.fd, root_.OpenDir(holder.target));
  if (!S_ISDIR(st.st_mode)) {
    return CopyLeaf(holder, RelBase(target), source.path, st);
  }
  Level top;
  top.parent = &holder;
  top.name = RelBase(target);
  top.target = target;
  top.src = source.path;
  top.st = st;
  top.overwrite_meta = false;
  if (target.empty()) {
    ASSIGN_OR_RETURN(top.fd, root_.OpenDir(""));
  }
  RETURN_IF_ERROR(Materialize(top));
  return CopyDirectory(top);
}

absl::Status TreeCopier::CopyUnder(const dockerfile::SelectedSource& source,
                                   const std::string& pivot,
                                   const std::string& under,
                                   const std::string& dest_dir) {
  std::list<Level> chain(1);  // stable addresses for parent pointers
  Level* cur = &chain.back();
  cur->target = dest_dir;
  cur->src = pivot;
  ASSIGN_OR_RETURN(cur->fd, root_.OpenDir(dest_dir));
  std::vector<std::string> parts = absl::StrSplit(under, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Level& next = chain.emplace_back();
    next.parent = cur;
    next.name = parts[i];
    next.target = RelJoin(cur->target, parts[i]);
    next.src = RelJoin(cur->src, parts[i]);
    ASSIGN_OR_RETURN(next.st, tree_.Stat(next.src));
    RETURN_IF_ERROR(Materialize(next));
    cur = &next;
  }
  ASSIGN_OR_RETURN(struct stat st, tree_.Stat(source.path));
  if (S_ISDIR(st.st_mode)) {
    Level top;
    top.parent = cur;
    top.name = parts.back();
    top.target = RelJoin(cur->target, top.name);
    top.src = source.path;
    top.rel = under;
    top.st = st;
    RETURN_IF_ERROR(Materialize(top));
    RETURN_IF_ERROR(CopyDirectory(top));
  } else {
    RETURN_IF_ERROR(CopyLeaf(*cur, parts.back(), source.path, st));
  }
  // Parents made here take their source's metadata once nothing more is
  // added to them.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (it->created) {
      RETURN_IF_ERROR(ApplyMetadata(it->parent->fd.get(), it->name, it->target,
                                    it->src, it->st));
    }
  }
  return absl::OkStatus();
}

absl::Status TreeCopier::Materialize(Level& level) {
  if (level.fd.get() >= 0) return absl::OkStatus();
  RETURN_IF_ERROR(Materialize(*level.parent));
  int pfd = level.parent->fd.get();
  struct stat st;
  if (fstatat(pfd, level.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot copy directory \"", level.src, "\" to ",
          ContainerPath(level.target), ": it exists and is not a directory"));
    }
  } else if (errno != ENOENT) {
    return Failed("stat", level.target);
  } else {
    // Restrictive until the metadata is applied after the contents.
    if (mkdirat(pfd, level.name.c_str(), 0700) != 0) {
      return Failed("mkdir", level.target);
    }
    level.created = true;
    ++entries_;
  }
  int fd = openat(pfd, level.name.c_str(),
                  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Failed("opening", level.target);
  level.fd = ScopedFd(fd);
  return absl::OkStatus();
}

absl::Status TreeCopier::CopyDirectory(Level& level) {
  ASSIGN_OR_RETURN(level.src_dir, tree_.OpenDir(level.src));
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   DirectoryTree::ListAt(level.src_dir.get()));
  for (const std::string& name : names) {
    RETURN_IF_ERROR(Entry(level, name));
  }
  RETURN_IF_ERROR(LinkPending(level));
  level.src_dir = ScopedFd();
  if (level.fd.get() < 0 || !(level.overwrite_meta || level.created)) {
    return absl::OkStatus();
  }
  if (level.target.empty()) return absl::OkStatus();  // the rootfs itself
  return ApplyMetadata(level.parent->fd.get(), level.name, level.target,
                       level.src, level.st);
}

absl::Status TreeCopier::Entry(Level& parent, const std::string& name) {
  std::string src = RelJoin(parent.src, name);
  std::string rel = RelJoin(parent.rel, name);
  ASSIGN_OR_RETURN(struct stat st,
                   DirectoryTree::StatAt(parent.src_dir.get(), name, src));
  bool excluded = attrs_.excludes != nullptr && attrs_.excludes->Matches(rel);
  if (!S_ISDIR(st.st_mode)) {
    if (excluded) return absl::OkStatus();
    RETURN_IF_ERROR(Materialize(parent));
    return CopyLeaf(parent, name, src, st);
  }
  if (excluded && attrs_.excludes->CanSkipDir(rel)) return absl::OkStatus();
  Level child;
  child.parent = &parent;
  child.name = name;
  child.target = RelJoin(parent.target, name);
  child.src = src;
  child.rel = rel;
  child.st = st;
  if (!excluded) RETURN_IF_ERROR(Materialize(child));
  return CopyDirectory(child);
}

absl::Status TreeCopier::CopyLeaf(Level& parent, const std::string& name,
                                  const std::string& src,
                                  const struct stat& st) {
  if (S_ISSOCK(st.st_mode)) return absl::OkStatus();  // as BuildKit: skipped
  int pfd = parent.fd.get();
  std::string target = RelJoin(parent.target, name);
  // A directory this copy made was empty, and names in one listing are
  // unique: nothing can be in the way (and on an overlay every miss asks
  // each layer).
  if (!parent.created) {
    RETURN_IF_ERROR(
        MakeRoomFor(pfd, name, target, absl::StrCat("\"", src, "\"")));
  }
  ++entries_;
  if (!S_ISREG(st.st_mode)) return CopyOther(parent, name, src, st);
  if (parent.src_dir.get() >= 0) {
    ASSIGN_OR_RETURN(bool linkable, LinkCandidate(parent, st));
    if (linkable) {
      parent.pending.push_back(PendingLink{name, src, st});
      return absl::OkStatus();
    }
    return CopyFile(parent, name, src, st);
  }
  ASSIGN_OR_RETURN(bool linkable, LinkCandidate(parent, st));
  if (linkable) {
    ASSIGN_OR_RETURN(ScopedFd file, OpenSource(parent, name, src));
    ASSIGN_OR_RETURN(bool linked, LinkOne(file.get(), parent, name, 0));
    if (linked) {
      Linked(st);
      return absl::OkStatus();
    }
  }
  return CopyFile(parent, name, src, st);
}

absl::Status TreeCopier::LinkPending(Level& level) {
  std::vector<PendingLink> pending = std::move(level.pending);
  level.pending.clear();
  std::vector<absl::StatusOr<bool>> linked(pending.size(), false);
  auto link = [&](size_t from, size_t to, int slot) {
    for (size_t i = from; i < to; ++i) {
      absl::StatusOr<ScopedFd> file =
          OpenSource(level, pending[i].name, pending[i].src);
      linked[i] = file.ok() ? LinkOne(file->get(), level, pending[i].name, slot)
                            : file.status();
    }
  };
  // Each link is a few system calls that wait on the filesystem: a second
  // thread takes half of a big directory's.
  constexpr size_t kSplitAt = 64;
  const size_t half =
      pending.size() >= kSplitAt ? pending.size() / 2 : pending.size();
  std::thread helper;
  if (half < pending.size()) {
    helper = std::thread(link, half, pending.size(), 1);
  }
  link(0, half, 0);
  if (helper.joinable()) helper.join();
  for (size_t i = 0; i < pending.size(); ++i) {
    RETURN_IF_ERROR(linked[i].status());
    if (*linked[i]) {
      Linked(pending[i].st);
    } else {
      RETURN_IF_ERROR(
          CopyFile(level, pending[i].name, pending[i].src, pending[i].st));
    }
  }
  return absl::OkStatus();
}

absl::Status TreeCopier::CopyFile(Level& parent, const std::string& name,
                                  const std::string& src,
                                  const struct stat& st) {
  int pfd = parent.fd.get();
  std::string target = RelJoin(parent.target, name);
  // (Both names of a source hardlink pair linked above share its inode, so
  // the layer keeps the pair.)
  if (st.st_nlink > 1) {
    auto [it, first] =
        links_.emplace(std::make_pair(st.st_dev, st.st_ino), target);
    if (!first) {
      ASSIGN_OR_RETURN(ScopedFd from, root_.OpenDir(RelParent(it->second)));
      if (linkat(from.get(), RelBase(it->second).c_str(), pfd, name.c_str(),
                 0) != 0) {
        return Failed("hardlinking", target);
      }
      return ApplyMetadata(pfd, name, target, src, st);
    }
  }
  ASSIGN_OR_RETURN(ScopedFd in, OpenSource(parent, name, src));
  RETURN_IF_ERROR(CopyContent(in.get(), src, pfd, name, target));
  return ApplyMetadata(pfd, name, target, src, st);
}

absl::Status TreeCopier::CopyOther(Level& parent, const std::string& name,
                                   const std::string& src,
                                   const struct stat& st) {
  int pfd = parent.fd.get();
  std::string target = RelJoin(parent.target, name);
  if (S_ISLNK(st.st_mode)) {
    ASSIGN_OR_RETURN(std::string link, tree_.ReadLink(src));
    if (symlinkat(link.c_str(), pfd, name.c_str()) != 0) {
      return Failed("symlink", target);
    }
  } else {
    if (mknodat(pfd, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) !=
        0) {
      return Failed("mknod", target);
    }
  }
  return ApplyMetadata(pfd, name, target, src, st);
}

bool TreeCopier::Linkable(const struct stat& st) const {
  if (!attrs_.link.has_value() || links_refused_ || !S_ISREG(st.st_mode)) {
    return false;
  }
  // The layer form truncates and clamps mtimes in place.
  const std::optional<int64_t>& newest = attrs_.link->newest_mtime;
  if (st.st_mtim.tv_nsec != 0 ||
      (newest.has_value() && st.st_mtim.tv_sec > *newest)) {
    return false;
  }
  Owner owner = attrs_.owner.value_or(Owner{st.st_uid, st.st_gid});
  return owner.uid == st.st_uid && owner.gid == st.st_gid &&
         ApplyChmod(st.st_mode, attrs_.chmod) == (st.st_mode & 07777);
}

absl::StatusOr<int> TreeCopier::UpperDir(Level& level) {
  if (level.upper.get() >= 0) return level.upper.get();
  if (level.no_upper) return -1;
  const std::string rel = level.target.empty() ? "." : level.target;
  constexpr uint64_t kResolve =
      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV;
  const int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW;
  int fd = OpenBelow(attrs_.link->upper_fd, rel, flags, kResolve);
  if (fd < 0 && errno == ENOENT) {
    // Only a lower layer has the directory: a chown to its own owner
    // through the overlay copies it (and its parents) up, as writing a
    // file into it would.
    struct stat st;
    if (fstat(level.fd.get(), &st) != 0 ||
        fchownat(level.fd.get(), "", st.st_uid, st.st_gid, AT_EMPTY_PATH) !=
            0) {
      return Failed("copying up", level.target);
    }
    fd = OpenBelow(attrs_.link->upper_fd, rel, flags, kResolve);
  }
  if (fd < 0) {
    level.no_upper = true;
    return -1;
  }
  level.upper = ScopedFd(fd);
  return fd;
}

int TreeCopier::LinkOpenFile(int fd, int dir, const char* name) {
  if (!link_by_proc_) {
    if (linkat(fd, "", dir, name, AT_EMPTY_PATH) == 0) return 0;
    // Without CAP_DAC_READ_SEARCH the kernel refuses a descriptor.
    if (errno != ENOENT && errno != EPERM) return -1;
    link_by_proc_ = true;
  }
  const std::string path = absl::StrCat("/proc/self/fd/", fd);
  return linkat(AT_FDCWD, path.c_str(), dir, name, AT_SYMLINK_FOLLOW);
}

absl::StatusOr<bool> TreeCopier::LinkCandidate(Level& parent,
                                               const struct stat& st) {
  if (!Linkable(st)) return false;
  // Docker keeps a source's hard links but not links between two sources
  // of one COPY: an inode another copier linked is copied here.
  const std::pair<dev_t, ino_t> inode(st.st_dev, st.st_ino);
  std::set<std::pair<dev_t, ino_t>>* claimed = attrs_.link->claimed;
  if (claimed != nullptr && !linked_inodes_.count(inode) &&
      claimed->count(inode)) {
    return false;
  }
  ASSIGN_OR_RETURN(int dir, UpperDir(parent));
  return dir >= 0;
}

void TreeCopier::Linked(const struct stat& st) {
  const std::pair<dev_t, ino_t> inode(st.st_dev, st.st_ino);
  ++linked_;
  linked_inodes_.insert(inode);
  if (attrs_.link->claimed != nullptr) attrs_.link->claimed->insert(inode);
}

absl::StatusOr<bool> TreeCopier::LinkOne(int file, const Level& parent,
                                         const std::string& name, int slot) {
  const int dir = parent.upper.get();
  // The layer form removes xattrs (but a capability) in place.
  ssize_t xattrs = flistxattr(file, nullptr, 0);
  if (xattrs > 0 || (xattrs < 0 && errno != ENOTSUP)) return false;
  if (LinkOpenFile(file, dir, name.c_str()) == 0) return true;
  if (errno == EEXIST) {
    // A whiteout MakeRoomFor left for a lower layer's file, or a link
    // made earlier in this copy (the merged view does not show it).
    const std::string temp = absl::StrCat(".farm-linking-", slot);
    if (unlinkat(dir, temp.c_str(), 0) != 0 && errno != ENOENT) {
      return Failed("linking", RelJoin(parent.target, name));
    }
    if (LinkOpenFile(file, dir, temp.c_str()) != 0) {
      return Failed("linking", RelJoin(parent.target, name));
    }
    if (renameat(dir, temp.c_str(), dir, name.c_str()) != 0) {
      int err = errno;
      unlinkat(dir, temp.c_str(), 0);
      errno = err;
      return Failed("linking", RelJoin(parent.target, name));
    }
    return true;
  }
  if (errno == EMLINK) return false;  // this inode has too many links
  if (errno == EXDEV || errno == EPERM || errno == EACCES ||
      errno == ENOENT) {
    links_refused_ = true;  // another filesystem, or no /proc
    return false;
  }
  return Failed("linking", RelJoin(parent.target, name));
}

absl::StatusOr<ScopedFd> TreeCopier::OpenSource(const Level& parent,
                                                const std::string& name,
                                                const std::string& src) const {
  if (parent.src_dir.get() < 0) return tree_.OpenFile(src);
  return DirectoryTree::OpenFileAt(parent.src_dir.get(), name, src);
}

absl::Status TreeCopier::CopyContent(int in, const std::string& src,
                                     int dirfd, const std::string& name,
                                     const std::string& target) {
  int fd = openat(dirfd, name.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("creating", target);
  ScopedFd out(fd);
  bool range = true;
  std::vector<char> buf;
  while (true) {
    ssize_t n;
    if (range) {
      n = copy_file_range(in, nullptr, fd, nullptr, 1 << 30, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                    errno == EOPNOTSUPP || errno == EPERM)) {
        range = false;
        continue;
      }
    } else {
      buf.resize(1 << 20);
      n = read(in, buf.data(), buf.size());
      for (ssize_t off = 0; n > 0 && off < n;) {
        ssize_t w = write(fd, buf.data() + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return Failed("writing", target);
        off += w;
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return ErrnoStatus(errno, absl::StrCat("copying \"", src, "\" to ",
                                             ContainerPath(target)));
    }
    if (n == 0) return absl::OkStatus();
  }
}

absl::Status TreeCopier::ApplyMetadata(int dirfd, const std::string& name,
                                       const std::string& target,
                                       const std::string& src,
                                       const struct stat& st) {
  Owner owner = attrs_.owner.value_or(Owner{st.st_uid, st.st_gid});
  // chown first: it clears setuid bits and capabilities.
  if (fchownat(dirfd, name.c_str(), owner.uid, owner.gid,
               AT_SYMLINK_NOFOLLOW) != 0) {
    return Failed("chown", target);
  }
  if (!S_ISLNK(st.st_mode)) {
    if (fchmodat(dirfd, name.c_str(), ApplyChmod(st.st_mode, attrs_.chmod),
                 0) != 0) {
      return Failed("chmod", target);
    }
  }
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return Failed("setting times of", target);
  }
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return absl::OkStatus();
  std::optional<std::string> cap = tree_.Capability(src);
  if (!cap.has_value()) return absl::OkStatus();
  int fd = openat(dirfd, name.c_str(),
                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Failed("opening", target);
  ScopedFd file(fd);
  if (fsetxattr(fd, image::layer::kCapabilityXattr, cap->data(), cap->size(),
                0) != 0 &&
      errno != ENOTSUP) {
    return Failed("setting capabilities of", target);
  }
  return absl::OkStatus();
}

}  // namespace farm::fileops
