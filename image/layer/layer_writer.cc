#include "image/layer/layer_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/compress/digesting_io.h"
#include "image/layer/whiteout.h"
#include "image/oci/media_types.h"
#include "image/tar/tar_writer.h"

namespace farm::image::layer {
namespace {

using tar::TarEntry;
using tar::TarType;

constexpr size_t kReadBuffer = 1 << 20;

std::optional<std::string> GetXattr(int fd, const char* name) {
  char buf[4096];
  ssize_t n = fgetxattr(fd, name, buf, sizeof(buf));
  if (n < 0) return std::nullopt;
  return std::string(buf, n);
}

class TreeWriter {
 public:
  TreeWriter(tar::TarWriter* tar, const LayerWriterOptions& options)
      : tar_(tar), options_(options), buffer_(new char[kReadBuffer]) {}

  absl::Status WalkDir(int dirfd, const std::string& prefix) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(dirfd, prefix));
    for (const std::string& name : names) {
      RETURN_IF_ERROR(WriteOne(dirfd, prefix, name));
    }
    return absl::OkStatus();
  }

  int64_t entries() const { return entries_; }

 private:
  absl::StatusOr<std::vector<std::string>> ListNames(int dirfd,
                                                     const std::string& path) {
    int fd = dup(dirfd);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("listing ", path));
    DIR* d = fdopendir(fd);
    if (d == nullptr) {
      close(fd);
      return ErrnoStatus(errno, absl::StrCat("listing ", path));
    }
    rewinddir(d);
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      absl::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      names.emplace_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  int64_t Mtime(const struct stat& st) const {
    int64_t t = st.st_mtim.tv_sec;
    if (options_.source_date_epoch.has_value() &&
        t > *options_.source_date_epoch) {
      t = *options_.source_date_epoch;
    }
    return t;
  }

  absl::Status Emit(const TarEntry& e) {
    ++entries_;
    return tar_->WriteHeader(e);
  }

  // A `.wh.` marker: an empty regular file with fixed metadata, so deleting
  // the same path always gives the same bytes.
  absl::Status EmitMarker(const std::string& name) {
    TarEntry e;
    e.name = name;
    e.mode = 0;
    return Emit(e);
  }

  absl::Status WriteOne(int dirfd, const std::string& prefix,
                        const std::string& name) {
    std::string path = prefix + name;
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", path));
    }
    TarEntry e;
    e.name = path;
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime = Mtime(st);

    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 &&
        minor(st.st_rdev) == 0) {
      return EmitMarker(prefix + std::string(kWhiteoutPrefix) + name);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto [it, inserted] = links_.emplace(key, path);
      if (!inserted) {
        e.type = TarType::kHardlink;
        e.linkname = it->second;
        return Emit(e);
      }
    }
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR:
        return WriteDir(dirfd, name, path, std::move(e));
      case S_IFREG:
        return WriteFileEntry(dirfd, name, path, std::move(e));
      case S_IFLNK: {
        e.type = TarType::kSymlink;
        std::string target(st.st_size > 0 ? st.st_size + 1 : 4096, '\0');
        ssize_t n =
            readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0) return ErrnoStatus(errno, absl::StrCat("readlink ", path));
        target.resize(n);
        e.linkname = std::move(target);
        return Emit(e);
      }
      case S_IFCHR:
      case S_IFBLK:
        e.type =
            S_ISCHR(st.st_mode) ? TarType::kCharDevice : TarType::kBlockDevice;
        e.devmajor = major(st.st_rdev);
        e.devminor = minor(st.st_rdev);
        return Emit(e);
      case S_IFIFO:
        e.type = TarType::kFifo;
        return Emit(e);
      default:  // sockets cannot be stored in a layer
        return absl::OkStatus();
    }
  }

  absl::Status WriteDir(int dirfd, const std::string& name,
                        const std::string& path, TarEntry e) {
    int fd = openat(dirfd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path));
    ScopedFd dir(fd);
    e.type = TarType::kDirectory;
    e.name = path + "/";
    std::optional<std::string> cap = GetXattr(fd, kCapabilityXattr);
    if (cap.has_value()) e.xattrs[kCapabilityXattr] = *cap;
    RETURN_IF_ERROR(Emit(e));
    if (GetXattr(fd, kTrustedOpaqueXattr) == std::optional<std::string>("y") ||
        GetXattr(fd, kUserOpaqueXattr) == std::optional<std::string>("y")) {
      RETURN_IF_ERROR(EmitMarker(e.name + std::string(kOpaqueWhiteout)));
    }
    return WalkDir(fd, e.name);
  }

  absl::Status WriteFileEntry(int dirfd, const std::string& name,
                              const std::string& path, TarEntry e) {
    int fd = openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path));
    ScopedFd file(fd);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", path));
    }
    e.size = st.st_size;
    std::optional<std::string> cap = GetXattr(fd, kCapabilityXattr);
    if (cap.has_value()) e.xattrs[kCapabilityXattr] = *cap;
    RETURN_IF_ERROR(Emit(e));
    int64_t left = e.size;
    while (left > 0) {
      ssize_t n =
          read(fd, buffer_.get(),
               static_cast<size_t>(std::min<int64_t>(left, kReadBuffer)));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, absl::StrCat("reading ", path));
      }
      if (n == 0) {
        return absl::AbortedError(
            absl::StrCat("layer: ", path, " shrank while it was read"));
      }
      RETURN_IF_ERROR(tar_->WriteData(absl::string_view(buffer_.get(), n)));
      left -= n;
    }
    return absl::OkStatus();
  }

  tar::TarWriter* tar_;
  const LayerWriterOptions& options_;
  std::unique_ptr<char[]> buffer_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  int64_t entries_ = 0;
};

std::string MediaTypeFor(compress::Compression c) {
  switch (c) {
    case compress::Compression::kGzip:
      return std::string(oci::kOciLayerTarGzip);
    case compress::Compression::kZstd:
      return std::string(oci::kOciLayerTarZstd);
    case compress::Compression::kNone:
      break;
  }
  return std::string(oci::kOciLayerTar);
}

}  // namespace

absl::StatusOr<LayerInfo> WriteLayer(const std::string& dir, ByteWriter* out,
                                     const LayerWriterOptions& options) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", dir));
  ScopedFd root(fd);

  compress::DigestingWriter blob(out);
  // A plain layer is its tar: one hash gives its digest and its diff_id.
  const bool plain = options.compression == compress::Compression::kNone;
  // The tar's sha256 (the diff_id) is taken by the compressor, on a thread
  // of its own for gzip and plain, instead of on this one, which reads the
  // files.
  Sha256Hasher diff;
  std::unique_ptr<ByteWriter> compressor = compress::NewCompressor(
      options.compression, plain ? out : &blob, options.compress, &diff);
  tar::TarWriter tar(compressor.get());
  TreeWriter tree(&tar, options);
  RETURN_IF_ERROR(Annotate(tree.WalkDir(fd, ""), "writing layer"));
  RETURN_IF_ERROR(tar.Finish());
  RETURN_IF_ERROR(compressor->Close());

  LayerInfo info;
  info.media_type = MediaTypeFor(options.compression);
  info.tar_size = diff.bytes();
  info.diff_id = diff.Finish();
  info.size = plain ? info.tar_size : blob.bytes();
  info.digest = plain ? info.diff_id : blob.Finish();
  info.entries = tree.entries();
  return info;
}

std::optional<int64_t> SourceDateEpochFromEnv() {
  const char* v = getenv("SOURCE_DATE_EPOCH");
  int64_t t;
  if (v == nullptr || !absl::SimpleAtoi(v, &t)) return std::nullopt;
  return t;
}

}  // namespace farm::image::layer
