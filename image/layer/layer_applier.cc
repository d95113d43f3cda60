#include "image/layer/layer_applier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/compress/decompressor.h"
#include "image/compress/digesting_io.h"
#include "image/layer/secure_root.h"
#include "image/layer/whiteout.h"
#include "image/tar/tar_reader.h"

namespace farm::image::layer {
namespace {

using tar::TarEntry;
using tar::TarType;

constexpr size_t kCopyBuffer = 1 << 20;

// Counts the uncompressed stream and stops it past the cap.
class CappedReader : public ByteReader {
 public:
  CappedReader(ByteReader* in, uint64_t cap) : in_(in), cap_(cap) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    ASSIGN_OR_RETURN(size_t n, in_->Read(buf, size));
    total_ += n;
    if (total_ > cap_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "layer: uncompressed stream exceeds the limit of ", cap_, " bytes"));
    }
    return n;
  }

 private:
  ByteReader* in_;
  uint64_t cap_;
  uint64_t total_ = 0;
};

bool IsOverlayXattr(absl::string_view name) {
  return absl::StartsWith(name, "trusted.overlay.") ||
         absl::StartsWith(name, "user.overlay.");
}

class Applier {
 public:
  Applier(SecureRoot root, const ApplyOptions& options)
      : root_(std::move(root)),
        options_(options),
        buffer_(new char[kCopyBuffer]) {}

  absl::Status Run(tar::TarReader& reader) {
    while (true) {
      TarEntry e;
      ASSIGN_OR_RETURN(bool more, reader.Next(&e));
      if (!more) break;
      ++entries_;
      label_ =
          absl::StrCat("layer: member #", reader.index(), " (", e.name, ")");
      if (entries_ > static_cast<int64_t>(options_.max_entries)) {
        return absl::ResourceExhaustedError(absl::StrCat(
            label_, ": more than ", options_.max_entries, " entries"));
      }
      absl::Status s = ApplyEntry(e, reader);
      if (!s.ok() && !absl::StartsWith(s.message(), "layer: ")) {
        s = Annotate(s, label_);
      }
      RETURN_IF_ERROR(s);
    }
    return FixDirTimes();
  }

  int64_t entries() const { return entries_; }
  int64_t data_bytes() const { return data_bytes_; }

 private:
  absl::Status Invalid(absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(label_, ": ", why));
  }

  // Cleans a member name: "" for the root; an error if it climbs out.
  absl::StatusOr<std::string> Normalize(const std::string& name,
                                        absl::string_view what) const {
    // Absolute names are taken relative to the root; ".." must not climb.
    std::string rel = CleanPath(name);
    while (absl::StartsWith(rel, "/")) rel = CleanPath(rel.substr(1));
    if (rel == ".." || absl::StartsWith(rel, "../")) {
      return Invalid(absl::StrCat(what, " \"", name, "\" escapes the root"));
    }
    std::string clean = CleanPath(absl::StrCat("/", name));
    if (clean == "/") return std::string();
    return clean.substr(1);
  }

  void MarkCreated(const std::string& path) {
    created_.insert(path);
    for (size_t i = path.find('/'); i != std::string::npos;
         i = path.find('/', i + 1)) {
      ancestors_.insert(path.substr(0, i));
    }
  }
  bool Keeps(const std::string& path) const {
    return created_.contains(path) || ancestors_.contains(path);
  }

  absl::Status ApplyEntry(const TarEntry& e, tar::TarReader& reader) {
    ASSIGN_OR_RETURN(std::string path, Normalize(e.name, "path"));
    if (path.empty()) {
      if (e.type != TarType::kDirectory) {
        return Invalid("the root can only be a directory");
      }
      ASSIGN_OR_RETURN(ScopedFd dir, ReopenDir(root_.fd()));
      RETURN_IF_ERROR(SetMetadata(dir.get(), e));
      dir_times_.push_back({"", e.mtime});
      return absl::OkStatus();
    }
    std::string parent = DirName(path);
    if (parent == ".") parent = "";
    std::string base = BaseName(path);

    if (absl::StartsWith(base, kWhiteoutPrefix)) {
      return Whiteout(parent, base, e);
    }
    if ((e.type == TarType::kCharDevice || e.type == TarType::kBlockDevice) &&
        !options_.allow_devices) {
      return absl::PermissionDeniedError(
          absl::StrCat(label_, ": device nodes are not allowed"));
    }
    if (e.size > 0 &&
        static_cast<uint64_t>(data_bytes_ + e.size) > options_.max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          label_, ": ", e.size, " bytes would exceed the limit of ",
          options_.max_bytes, " bytes"));
    }
    absl::StatusOr<ScopedFd> dir = root_.OpenDir(parent, /*create=*/true);
    if (!dir.ok()) {
      return Invalid(absl::StrCat("cannot use parent directory: ",
                                  dir.status().message()));
    }
    int pfd = dir->get();

    // Replace what is there, unless a directory meets a directory.
    struct stat st;
    if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!(S_ISDIR(st.st_mode) && e.type == TarType::kDirectory)) {
        RETURN_IF_ERROR(RemoveAt(pfd, base));
      }
    }
    MarkCreated(path);

    switch (e.type) {
      case TarType::kDirectory:
        return MakeDir(pfd, base, path, e);
      case TarType::kRegular:
        return WriteRegular(pfd, base, e, reader);
      case TarType::kSymlink:
        if (symlinkat(e.linkname.c_str(), pfd, base.c_str()) != 0) {
          return ErrnoStatus(errno, "symlink");
        }
        return SetMetadataAt(pfd, base, e);
      case TarType::kHardlink:
        return Link(pfd, base, e);
      case TarType::kCharDevice:
      case TarType::kBlockDevice:
      case TarType::kFifo: {
        mode_t type = e.type == TarType::kCharDevice    ? S_IFCHR
                      : e.type == TarType::kBlockDevice ? S_IFBLK
                                                        : S_IFIFO;
        if (mknodat(pfd, base.c_str(), type | 0600,
                    makedev(e.devmajor, e.devminor)) != 0) {
          return ErrnoStatus(errno, "mknod");
        }
        return SetMetadataAt(pfd, base, e);
      }
    }
    return Invalid("unknown member type");
  }

  absl::Status MakeDir(int pfd, const std::string& base,
                       const std::string& path, const TarEntry& e) {
    if (mkdirat(pfd, base.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "mkdir");
    }
    int fd = openat(pfd, base.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "opening directory");
    ScopedFd dir(fd);
    RETURN_IF_ERROR(SetMetadata(fd, e));
    dir_times_.push_back({path, e.mtime});
    return absl::OkStatus();
  }

  absl::Status WriteRegular(int pfd, const std::string& base, const TarEntry& e,
                            tar::TarReader& reader) {
    int fd = openat(pfd, base.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, "creating file");
    ScopedFd file(fd);
    while (true) {
      ASSIGN_OR_RETURN(size_t n, reader.Read(buffer_.get(), kCopyBuffer));
      if (n == 0) break;
      data_bytes_ += n;
      if (static_cast<uint64_t>(data_bytes_) > options_.max_bytes) {
        return absl::ResourceExhaustedError(
            absl::StrCat(label_, ": data exceeds the limit of ",
                         options_.max_bytes, " bytes"));
      }
      for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, buffer_.get() + off, n - off);
        if (w < 0) {
          if (errno == EINTR) continue;
          return ErrnoStatus(errno, "writing file");
        }
        off += w;
      }
    }
    RETURN_IF_ERROR(SetMetadata(fd, e));
    struct timespec times[2] = {{e.mtime, 0}, {e.mtime, 0}};
    if (futimens(fd, times) != 0) return ErrnoStatus(errno, "futimens");
    return absl::OkStatus();
  }

  absl::Status Link(int pfd, const std::string& base, const TarEntry& e) {
    ASSIGN_OR_RETURN(std::string target,
                     Normalize(e.linkname, "hardlink target"));
    if (target.empty()) return Invalid("hardlink to the root directory");
    std::string tparent = DirName(target);
    if (tparent == ".") tparent = "";
    absl::StatusOr<ScopedFd> tdir = root_.OpenDir(tparent, /*create=*/false);
    if (!tdir.ok()) {
      return Invalid(absl::StrCat("hardlink target \"", e.linkname,
                                  "\": ", tdir.status().message()));
    }
    if (linkat(tdir->get(), BaseName(target).c_str(), pfd, base.c_str(), 0) !=
        0) {
      return Invalid(absl::StrCat("cannot hardlink to \"", e.linkname,
                                  "\": ", strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status SetXattrs(int fd, const TarEntry& e) {
    for (const auto& [name, value] : e.xattrs) {
      if (IsOverlayXattr(name)) continue;  // a layer must not steer overlayfs
      if (fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0 &&
          errno != ENOTSUP) {
        return ErrnoStatus(errno, absl::StrCat("setting xattr ", name));
      }
    }
    return absl::OkStatus();
  }

  // Owner, mode, xattrs through an fd of the entry itself. chown comes first
  // because it clears setuid bits and file capabilities.
  absl::Status SetMetadata(int fd, const TarEntry& e) {
    if (options_.preserve_owners && fchown(fd, e.uid, e.gid) != 0) {
      return ErrnoStatus(errno, "chown");
    }
    if (fchmod(fd, e.mode & 07777) != 0) return ErrnoStatus(errno, "chmod");
    return SetXattrs(fd, e);
  }

  // For symlinks and nodes, which cannot be opened safely: every call acts
  // on the final component itself, never on what a symlink points to.
  absl::Status SetMetadataAt(int pfd, const std::string& base,
                             const TarEntry& e) {
    if (options_.preserve_owners &&
        fchownat(pfd, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "chown");
    }
    if (e.type != TarType::kSymlink &&
        fchmodat(pfd, base.c_str(), e.mode & 07777, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "chmod");
    }
    struct timespec times[2] = {{e.mtime, 0}, {e.mtime, 0}};
    if (utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "utimensat");
    }
    return absl::OkStatus();
  }

  absl::Status Whiteout(const std::string& parent, const std::string& base,
                        const TarEntry& e) {
    if (base == kOpaqueWhiteout) return Opaque(parent);
    // Other ".wh..wh." names are metadata of other tools (aufs); skip them.
    if (absl::StartsWith(base, kWhiteoutMetaPrefix)) return absl::OkStatus();
    std::string target = base.substr(kWhiteoutPrefix.size());
    if (target.empty() || target == "." || target == "..") {
      return Invalid(absl::StrCat("invalid whiteout name \"", base, "\""));
    }
    std::string path = parent.empty() ? target : parent + "/" + target;
    bool overlay = options_.mode == ApplyMode::kOverlay;
    absl::StatusOr<ScopedFd> dir = root_.OpenDir(parent, /*create=*/overlay);
    if (!dir.ok()) {
      if (!overlay && (absl::IsNotFound(dir.status()) ||
                       absl::IsFailedPrecondition(dir.status()))) {
        return absl::OkStatus();  // nothing below to hide
      }
      return Invalid(absl::StrCat("whiteout parent: ", dir.status().message()));
    }
    if (Keeps(path)) {
      // This layer has its own `path`: the whiteout hides only lower layers.
      return overlay ? absl::OkStatus() : PruneLower(dir->get(), target, path);
    }
    RETURN_IF_ERROR(RemoveAt(dir->get(), target));
    if (!overlay) return absl::OkStatus();
    if (mknodat(dir->get(), target.c_str(), S_IFCHR | 0600, makedev(0, 0)) !=
        0) {
      return ErrnoStatus(errno, "mknod whiteout");
    }
    TarEntry marker = e;
    marker.type = TarType::kCharDevice;
    return SetMetadataAt(dir->get(), target, marker);
  }

  absl::Status Opaque(const std::string& parent) {
    if (options_.mode == ApplyMode::kOverlay) {
      absl::StatusOr<ScopedFd> dir = root_.OpenDir(parent, /*create=*/true);
      if (!dir.ok()) {
        return Invalid(
            absl::StrCat("opaque directory: ", dir.status().message()));
      }
      ASSIGN_OR_RETURN(ScopedFd rd, ReopenDir(dir->get()));
      const char* name =
          options_.user_xattr_overlay ? kUserOpaqueXattr : kTrustedOpaqueXattr;
      if (fsetxattr(rd.get(), name, "y", 1, 0) != 0) {
        return ErrnoStatus(errno, absl::StrCat("setting ", name));
      }
      return absl::OkStatus();
    }
    absl::StatusOr<ScopedFd> dir = root_.OpenDir(parent, /*create=*/false);
    if (!dir.ok()) return absl::OkStatus();  // nothing below to hide
    ASSIGN_OR_RETURN(ScopedFd rd, ReopenDir(dir->get()));
    return PruneChildren(rd.get(), parent);
  }

  // Removes what lower layers put at `name` (path `path`), keeping what this
  // layer created there.
  absl::Status PruneLower(int pfd, const std::string& name,
                          const std::string& path) {
    struct stat st;
    if (fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
    int fd = openat(pfd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "opening directory");
    ScopedFd dir(fd);
    return PruneChildren(fd, path);
  }

  absl::Status PruneChildren(int dirfd, const std::string& path) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirFd(dirfd));
    for (const std::string& name : names) {
      std::string child = path.empty() ? name : path + "/" + name;
      if (Keeps(child)) {
        RETURN_IF_ERROR(PruneLower(dirfd, name, child));
      } else {
        RETURN_IF_ERROR(RemoveAt(dirfd, name));
      }
    }
    return absl::OkStatus();
  }

  // Directory mtimes change as entries land in them, so they are set last,
  // deepest first.
  absl::Status FixDirTimes() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      struct timespec times[2] = {{it->second, 0}, {it->second, 0}};
      if (it->first.empty()) {
        ASSIGN_OR_RETURN(ScopedFd rd, ReopenDir(root_.fd()));
        futimens(rd.get(), times);
        continue;
      }
      std::string parent = DirName(it->first);
      absl::StatusOr<ScopedFd> dir =
          root_.OpenDir(parent == "." ? "" : parent, /*create=*/false);
      if (!dir.ok()) continue;  // removed later in the layer
      utimensat(dir->get(), BaseName(it->first).c_str(), times,
                AT_SYMLINK_NOFOLLOW);
    }
    return absl::OkStatus();
  }

  SecureRoot root_;
  const ApplyOptions& options_;
  std::unique_ptr<char[]> buffer_;
  std::string label_;
  int64_t entries_ = 0;
  int64_t data_bytes_ = 0;
  absl::flat_hash_set<std::string> created_;
  absl::flat_hash_set<std::string> ancestors_;
  std::vector<std::pair<std::string, int64_t>> dir_times_;
};

}  // namespace

absl::StatusOr<ApplyResult> ApplyLayer(ByteReader* in,
                                       const std::string& rootfs,
                                       const ApplyOptions& options) {
  ASSIGN_OR_RETURN(SecureRoot root, SecureRoot::Open(rootfs));
  compress::DecompressingReader plain(in);
  CappedReader capped(&plain, options.max_bytes);
  compress::DigestingReader hashed(&capped);
  tar::TarReaderOptions topts;
  topts.max_header_bytes = options.max_header_bytes;
  tar::TarReader reader(&hashed, topts);
  Applier applier(std::move(root), options);
  RETURN_IF_ERROR(applier.Run(reader));
  // Hash whatever follows the end-of-archive marker too: the diffID covers
  // the whole stream.
  char buf[1 << 16];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, hashed.Read(buf, sizeof(buf)));
    if (n == 0) break;
  }
  ApplyResult result;
  result.entries = applier.entries();
  result.data_bytes = applier.data_bytes();
  result.diff_id = hashed.Finish();
  return result;
}

}  // namespace farm::image::layer
