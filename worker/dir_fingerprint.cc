#include "worker/dir_fingerprint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::worker {

namespace {

class Walker {
 public:
  absl::Status Walk(const std::string& dir, const std::string& rel) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
    for (const std::string& name : names) {  // sorted
      const std::string path = JoinPath(dir, name);
      const std::string entry = rel.empty() ? name : JoinPath(rel, name);
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path);
      Add(entry, st, path);
      if (S_ISDIR(st.st_mode)) RETURN_IF_ERROR(Walk(path, entry));
    }
    return absl::OkStatus();
  }

  DirSummary Finish() {
    summary_.fingerprint = hasher_.Finish();
    return summary_;
  }

 private:
  void Add(const std::string& entry, const struct stat& st,
           const std::string& path) {
    std::string target;
    if (S_ISLNK(st.st_mode)) {
      target.resize(static_cast<size_t>(st.st_size) + 1);
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      target.resize(n < 0 ? 0 : static_cast<size_t>(n));
    }
    if (S_ISREG(st.st_mode) &&
        (st.st_nlink == 1 || inodes_.insert({st.st_dev, st.st_ino}).second)) {
      summary_.bytes += static_cast<uint64_t>(st.st_size);
    }
    ++summary_.entries;
    // Length-prefixed, so no two trees hash alike by running together.
    hasher_.Update(absl::StrCat(entry.size(), ":", entry, " ", st.st_mode, " ",
                                st.st_uid, ":", st.st_gid, " ", st.st_size, " ",
                                st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, " ",
                                st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec, " ",
                                target.size(), ":", target, "\n"));
  }

  Sha256Hasher hasher_;
  DirSummary summary_;
  std::set<std::pair<dev_t, ino_t>> inodes_;  // hardlinked files counted
};

}  // namespace

absl::StatusOr<DirSummary> SummarizeDir(const std::string& dir) {
  if (!IsDirectory(dir)) {
    return absl::NotFoundError(absl::StrCat(dir, " is not a directory"));
  }
  Walker walker;
  RETURN_IF_ERROR(walker.Walk(dir, ""));
  return walker.Finish();
}

}  // namespace farm::worker
