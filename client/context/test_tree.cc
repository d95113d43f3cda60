#include "client/context/test_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::client::context {

TempTree::TempTree() {
  absl::StatusOr<std::string> dir = MakeTempDir("client-context");
  if (!dir.ok()) {
    ADD_FAILURE() << dir.status();
    return;
  }
  root_ = *dir;
}

TempTree::~TempTree() {
  if (!root_.empty()) (void)RemoveAll(root_);
}

std::string TempTree::Path(const std::string& rel) const {
  return JoinPath(root_, rel);
}

void TempTree::Write(const std::string& rel, const std::string& content,
                     mode_t mode) {
  std::string path = Path(rel);
  absl::Status s = MakeDirs(DirName(path));
  if (s.ok()) s = WriteFile(path, content, mode);
  if (!s.ok()) ADD_FAILURE() << s;
  if (chmod(path.c_str(), mode) != 0) ADD_FAILURE() << strerror(errno);
}

void TempTree::MakeDir(const std::string& rel, mode_t mode) {
  std::string path = Path(rel);
  if (absl::Status s = MakeDirs(path); !s.ok()) ADD_FAILURE() << s;
  if (chmod(path.c_str(), mode) != 0) ADD_FAILURE() << strerror(errno);
}

void TempTree::Symlink(const std::string& rel, const std::string& target) {
  std::string path = Path(rel);
  if (absl::Status s = MakeDirs(DirName(path)); !s.ok()) ADD_FAILURE() << s;
  if (symlink(target.c_str(), path.c_str()) != 0) {
    ADD_FAILURE() << "symlink " << path << ": " << strerror(errno);
  }
}

void TempTree::SetMtime(const std::string& rel, int64_t unix_nanos) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = unix_nanos / 1000000000;
  times[0].tv_nsec = times[1].tv_nsec = unix_nanos % 1000000000;
  if (utimensat(AT_FDCWD, Path(rel).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    ADD_FAILURE() << "utimensat " << rel << ": " << strerror(errno);
  }
}

ContextSnapshot WalkTree(const TempTree& tree) {
  absl::StatusOr<ContextSnapshot> snap = WalkContext(tree.root(), {});
  EXPECT_TRUE(snap.ok()) << snap.status();
  return snap.ok() ? *std::move(snap) : ContextSnapshot();
}

}  // namespace farm::client::context
