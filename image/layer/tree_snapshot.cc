#include "image/layer/tree_snapshot.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/fs.h"

namespace farm::image::layer {
namespace {

std::string Xattrs(const std::string& path) {
  char names[4096];
  ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
  std::string out;
  for (ssize_t i = 0; i < n;) {
    std::string name(names + i);
    i += name.size() + 1;
    char value[4096];
    ssize_t v = lgetxattr(path.c_str(), name.c_str(), value, sizeof(value));
    absl::StrAppend(
        &out, " xattr:", name, "=",
        Digest::Of(std::string(value, v > 0 ? v : 0)).hex().substr(0, 12));
  }
  return out;
}

void Walk(const std::string& root, const std::string& rel,
          const SnapshotOptions& options,
          std::map<std::string, std::string>* out) {
  std::string path = rel.empty() ? root : root + "/" + rel;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  std::string d = absl::StrCat("mode=", absl::Hex(st.st_mode),
                               " owner=", st.st_uid, ":", st.st_gid);
  if (S_ISREG(st.st_mode)) {
    absl::StatusOr<std::string> data = ReadFile(path);
    absl::StrAppend(&d, " size=", st.st_size, " sha=",
                    data.ok() ? Digest::Of(*data).hex().substr(0, 16) : "?",
                    " nlink=", st.st_nlink);
  } else if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(path.c_str(), target, sizeof(target));
    absl::StrAppend(&d, " -> ", std::string(target, n > 0 ? n : 0));
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    absl::StrAppend(&d, " dev=", major(st.st_rdev), ":", minor(st.st_rdev));
  }
  if (options.mtimes && (!S_ISDIR(st.st_mode) || options.dir_mtimes)) {
    absl::StrAppend(&d, " mtime=", st.st_mtim.tv_sec);
  }
  d += Xattrs(path);
  (*out)[rel.empty() ? "." : rel] = d;
  if (!S_ISDIR(st.st_mode)) return;
  absl::StatusOr<std::vector<std::string>> names = ListDir(path);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    Walk(root, rel.empty() ? name : rel + "/" + name, options, out);
  }
}

}  // namespace

std::map<std::string, std::string> SnapshotTree(const std::string& dir,
                                                SnapshotOptions options) {
  std::map<std::string, std::string> out;
  Walk(dir, "", options, &out);
  return out;
}

std::string DiffSnapshots(const std::map<std::string, std::string>& before,
                          const std::map<std::string, std::string>& after) {
  std::string out;
  for (const auto& [path, d] : before) {
    auto it = after.find(path);
    if (it == after.end()) {
      absl::StrAppend(&out, "- ", path, ": ", d, "\n");
    } else if (it->second != d) {
      absl::StrAppend(&out, "~ ", path, ": ", d, " => ", it->second, "\n");
    }
  }
  for (const auto& [path, d] : after) {
    if (!before.count(path)) absl::StrAppend(&out, "+ ", path, ": ", d, "\n");
  }
  return out;
}

}  // namespace farm::image::layer
