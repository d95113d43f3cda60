#include "worker/context_materializer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::worker {
namespace {

struct timespec Timespec(int64_t unix_nanos) {
  struct timespec ts;
  ts.tv_sec = unix_nanos / 1000000000;
  ts.tv_nsec = unix_nanos % 1000000000;
  if (ts.tv_nsec < 0) {
    ts.tv_sec -= 1;
    ts.tv_nsec += 1000000000;
  }
  return ts;
}

absl::Status SetTimes(const std::string& path, int64_t mtime_nanos) {
  struct timespec times[2] = {Timespec(mtime_nanos), Timespec(mtime_nanos)};
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, absl::StrCat("setting times of ", path));
  }
  return absl::OkStatus();
}

bool IsSafeRelative(const std::string& path) {
  if (path.empty() || path[0] == '/' || CleanPath(path) != path) return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

// Creates the entries' directories and symlinks in order and keeps track of
// what each path is, so that no entry can be written through a symlink.
class TreeWriter {
 public:
  explicit TreeWriter(std::string dir) : dir_(std::move(dir)) {}

  absl::Status MakeParents(const std::string& rel) {
    std::string prefix;
    std::vector<absl::string_view> parts = absl::StrSplit(rel, '/');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix = prefix.empty() ? std::string(parts[i])
                              : absl::StrCat(prefix, "/", parts[i]);
      RETURN_IF_ERROR(MakeDir(prefix, 0755, /*explicit_entry=*/false));
    }
    return absl::OkStatus();
  }

  absl::Status MakeDir(const std::string& rel, uint32_t mode,
                       bool explicit_entry) {
    if (dirs_.count(rel)) {
      if (explicit_entry) dir_modes_[rel] = mode;
      return absl::OkStatus();
    }
    if (others_.count(rel)) return Blocked(rel);
    if (mkdir(Path(rel).c_str(), 0755) != 0) {
      return ErrnoStatus(errno, absl::StrCat("context: creating ", rel));
    }
    dirs_.insert(rel);
    dir_modes_[rel] = explicit_entry ? mode : 0755;
    return absl::OkStatus();
  }

  // Claims `rel` for a file or symlink.
  absl::Status Claim(const std::string& rel) {
    if (dirs_.count(rel) || !others_.insert(rel).second) return Blocked(rel);
    return absl::OkStatus();
  }

  absl::Status Blocked(const std::string& rel) const {
    return absl::InvalidArgumentError(
        absl::StrCat("context entry \"", rel, "\" clashes with another entry"));
  }

  std::string Path(const std::string& rel) const {
    return absl::StrCat(dir_, "/", rel);
  }

  // Directory modes last, deepest first, so read-only directories can
  // still be filled.
  absl::Status FinishDirectories(
      const std::map<std::string, int64_t>& mtimes) const {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      if (chmod(Path(*it).c_str(), dir_modes_.at(*it) & 07777) != 0) {
        return ErrnoStatus(errno, absl::StrCat("context: chmod ", *it));
      }
      auto mtime = mtimes.find(*it);
      if (mtime != mtimes.end())
        RETURN_IF_ERROR(SetTimes(Path(*it), mtime->second));
    }
    return absl::OkStatus();
  }

 private:
  std::string dir_;
  std::set<std::string> dirs_;
  std::set<std::string> others_;
  std::map<std::string, uint32_t> dir_modes_;
};

absl::Status FetchFile(const proto::ContextEntry& entry,
                       cache::BlobStore& blobs, const std::string& path) {
  auto context = [&](const absl::Status& status) {
    return Annotate(status,
                    absl::StrCat("context file \"", entry.path(), "\""));
  };
  absl::StatusOr<Digest> digest = Digest::Parse(entry.digest());
  if (!digest.ok()) return context(digest.status());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs.Get(*digest);
  if (!reader.ok()) return context(reader.status());
  ScopedFd fd(open(path.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return context(ErrnoStatus(errno, "create"));
  char buf[1 << 16];
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->Read(buf, sizeof(buf));
    if (!n.ok()) return context(n.status());
    if (*n == 0) break;
    for (size_t done = 0; done < *n;) {
      ssize_t w = write(fd.get(), buf + done, *n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return context(ErrnoStatus(errno, "write"));
      }
      done += static_cast<size_t>(w);
    }
  }
  if (fchmod(fd.get(), entry.mode() & 07777) != 0) {
    return context(ErrnoStatus(errno, "chmod"));
  }
  struct timespec times[2] = {Timespec(entry.mtime_unix_nanos()),
                              Timespec(entry.mtime_unix_nanos())};
  if (futimens(fd.get(), times) != 0) {
    return context(ErrnoStatus(errno, "setting times"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MaterializeContext(const proto::ContextManifest& manifest,
                                cache::BlobStore& blobs, const std::string& dir,
                                int parallelism) {
  TreeWriter tree(dir);
  std::vector<const proto::ContextEntry*> files;
  // Hard links to files materialised here; a link whose first name is not
  // part of this subset becomes a file of its own.
  std::vector<const proto::ContextEntry*> links;
  std::set<std::string> materialized_files;
  std::map<std::string, int64_t> dir_mtimes;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    const std::string& rel = entry.path();
    if (!IsSafeRelative(rel)) {
      return absl::InvalidArgumentError(
          absl::StrCat("context entry with unsafe path \"", rel, "\""));
    }
    RETURN_IF_ERROR(tree.MakeParents(rel));
    switch (entry.type()) {
      case proto::ContextEntry::DIRECTORY:
        RETURN_IF_ERROR(tree.MakeDir(rel, entry.mode(), true));
        dir_mtimes[rel] = entry.mtime_unix_nanos();
        break;
      case proto::ContextEntry::SYMLINK:
        RETURN_IF_ERROR(tree.Claim(rel));
        if (symlink(entry.link_target().c_str(), tree.Path(rel).c_str()) != 0) {
          return ErrnoStatus(errno, absl::StrCat("context: symlink ", rel));
        }
        RETURN_IF_ERROR(SetTimes(tree.Path(rel), entry.mtime_unix_nanos()));
        break;
      default:
        RETURN_IF_ERROR(tree.Claim(rel));
        if (!entry.hardlink_of().empty() &&
            materialized_files.count(entry.hardlink_of())) {
          links.push_back(&entry);
        } else {
          files.push_back(&entry);
          materialized_files.insert(rel);
        }
        break;
    }
  }

  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      absl::Status status =
          FetchFile(*files[i], blobs, tree.Path(files[i]->path()));
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = status;
        next = files.size();
      }
    }
  };
  std::vector<std::thread> threads;
  int count = std::max(1, std::min<int>(parallelism, files.size()));
  for (int i = 1; i < count; ++i) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  RETURN_IF_ERROR(first_error);
  for (const proto::ContextEntry* entry : links) {
    if (link(tree.Path(entry->hardlink_of()).c_str(),
             tree.Path(entry->path()).c_str()) != 0) {
      return ErrnoStatus(errno,
                         absl::StrCat("context: hard link ", entry->path()));
    }
  }
  return tree.FinishDirectories(dir_mtimes);
}

}  // namespace farm::worker
