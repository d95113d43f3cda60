#include "worker/snapshot/store_layout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/layer/secure_root.h"

namespace farm::snapshot {
namespace {

using InodeSet = std::set<std::pair<dev_t, ino_t>>;

absl::Status AddUsage(int dirfd, const std::string& path, InodeSet& seen,
                      uint64_t& total) {
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   image::layer::ListDirFd(dirfd));
  for (const std::string& name : names) {
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", path, "/", name));
    }
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
    if (!S_ISDIR(st.st_mode)) continue;
    int fd = openat(dirfd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      return ErrnoStatus(errno, absl::StrCat("opening ", path, "/", name));
    }
    ScopedFd child(fd);
    RETURN_IF_ERROR(AddUsage(fd, path + "/" + name, seen, total));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status StoreLayout::MakeDirs() const {
  for (const std::string& dir :
       {LayersDir(), LinksDir(), TmpDir(), WorkDir(), EmptyDir()}) {
    RETURN_IF_ERROR(::farm::MakeDirs(dir, 0700));
    // Also a store made before they were private.
    if (chmod(dir.c_str(), 0700) != 0) {
      return ErrnoStatus(errno, absl::StrCat("chmod ", dir));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteLayerMeta(const std::string& layer_dir,
                            const LayerMeta& meta) {
  return WriteFileAtomic(
      layer_dir + "/meta",
      absl::StrCat("bytes ", meta.bytes, "\nlink ", meta.link, "\n"));
}

absl::StatusOr<LayerMeta> ReadLayerMeta(const std::string& layer_dir) {
  std::string path = layer_dir + "/meta";
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  LayerMeta meta;
  bool have_bytes = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.first == "bytes") {
      have_bytes = absl::SimpleAtoi(kv.second, &meta.bytes);
    } else if (kv.first == "link") {
      meta.link = std::string(kv.second);
    }
  }
  if (!have_bytes || meta.link.empty() ||
      meta.link.find('/') != std::string::npos) {
    return absl::DataLossError(
        absl::StrCat(path, ": malformed layer metadata"));
  }
  return meta;
}

std::string LayerLinkTarget(const Digest& diff_id) {
  return absl::StrCat("../layers/", diff_id.hex(), "/fs");
}

absl::Status MakeLayerLink(const std::string& path, const Digest& diff_id) {
  unlink(path.c_str());
  if (symlink(LayerLinkTarget(diff_id).c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("symlink ", path));
  }
  return absl::OkStatus();
}

std::string ReadLayerLink(const std::string& path) {
  char buf[256];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n < 0 ? std::string() : std::string(buf, n);
}

absl::StatusOr<uint64_t> DiskUsage(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", dir));
  ScopedFd root(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus(errno, "stat " + dir);
  InodeSet seen = {{st.st_dev, st.st_ino}};
  uint64_t total = static_cast<uint64_t>(st.st_blocks) * 512;
  RETURN_IF_ERROR(AddUsage(fd, dir, seen, total));
  return total;
}

}  // namespace farm::snapshot
