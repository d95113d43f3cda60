#include "worker/fileops/rel_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace farm::fileops {

std::string RelParent(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string RelBase(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::string RelJoin(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (name.empty()) return dir;
  return absl::StrCat(dir, "/", name);
}

int OpenBelow(int dirfd, const std::string& rel, int flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = resolve;
  const char* p = rel.empty() ? "." : rel.c_str();
  while (true) {
    int fd =
        static_cast<int>(syscall(SYS_openat2, dirfd, p, &how, sizeof(how)));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) return fd;
  }
}

}  // namespace farm::fileops
