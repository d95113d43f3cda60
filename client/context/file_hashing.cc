#include "client/context/file_hashing.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/fs.h"

namespace farm::client::context {

namespace {

constexpr int kAttempts = 3;
constexpr size_t kBufferSize = size_t{1} << 20;

bool SameContent(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
         a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

}  // namespace

absl::StatusOr<HashedFile> HashFile(const std::string& path,
                                    const std::string& display_path,
                                    std::atomic<int64_t>* bytes_read) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(
          "file ", display_path, " turned into a symlink during the walk"));
    }
    return ErrnoStatus(errno, absl::StrCat("opening ", display_path));
  }
  ScopedFd closer(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<char[]> buf(new char[kBufferSize]);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    HashedFile out;
    if (fstat(fd, &out.st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", display_path));
    }
    if (!S_ISREG(out.st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("file ", display_path, " is no longer a regular file"));
    }
    Sha256Hasher hasher;
    off_t offset = 0;
    while (true) {
      ssize_t n = pread(fd, buf.get(), kBufferSize, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, absl::StrCat("reading ", display_path));
      }
      if (n == 0) break;
      hasher.Update(buf.get(), n);
      offset += n;
      bytes_read->fetch_add(n, std::memory_order_relaxed);
    }
    struct stat after;
    if (fstat(fd, &after) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", display_path));
    }
    if (SameContent(out.st, after) && offset == out.st.st_size) {
      out.digest = hasher.Finish();
      return out;
    }
  }
  return absl::AbortedError(absl::StrCat("file ", display_path,
                                         " kept changing while it was hashed"));
}

absl::Status ParallelFor(size_t count, int threads,
                         const std::function<absl::Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  absl::Status first_error;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      size_t i = next.fetch_add(1);
      if (i >= count) return;
      absl::Status s = fn(i);
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = s;
        failed = true;
      }
    }
  };
  size_t helpers = threads > 1 ? std::min<size_t>(threads - 1, count) : 0;
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  for (size_t t = 0; t < helpers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return first_error;
}

}  // namespace farm::client::context
