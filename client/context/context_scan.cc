#include "client/context/context_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <iterator>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::client::context {

namespace {

// A directory left for another Scanner: its entry is emitted already.
struct DeferredDir {
  std::string rel;
  ScopedFd fd;
};

class Scanner {
 public:
  // With `deferred`, included directories are not descended into but added
  // there, to be scanned by whichever thread is free.
  // `open_slots` bounds how many deferred directories (each an open
  // descriptor) may wait at once; past it, directories are scanned here.
  Scanner(const dockerfile::IgnoreMatcher& ignore, ScanCounts* counts,
          std::vector<DeferredDir>* deferred = nullptr,
          std::atomic<int>* open_slots = nullptr)
      : ignore_(ignore),
        counts_(counts),
        deferred_(deferred),
        open_slots_(open_slots) {}

  // Lists directory `dir_fd` (owned by the caller), whose context-relative
  // path is `rel_dir` ("" for the root).
  absl::Status ScanDir(int dir_fd, const std::string& rel_dir);

  std::vector<ScannedEntry> TakeEntries() { return std::move(entries_); }

 private:
  struct PendingDir {
    ScannedEntry entry;
    bool emitted = false;
  };

  // Adds `entry`, first adding any excluded parent directories that were
  // held back until something below them turned out to be included.
  void Emit(ScannedEntry entry);
  absl::Status Visit(int dir_fd, const std::string& name,
                     const std::string& rel_dir);

  const dockerfile::IgnoreMatcher& ignore_;
  ScanCounts* counts_;
  std::vector<DeferredDir>* deferred_;
  std::atomic<int>* open_slots_;
  std::vector<ScannedEntry> entries_;
  std::vector<PendingDir> pending_;
};

void Scanner::Emit(ScannedEntry entry) {
  for (PendingDir& dir : pending_) {
    if (dir.emitted) continue;
    entries_.push_back(dir.entry);
    dir.emitted = true;
  }
  entries_.push_back(std::move(entry));
}

absl::Status Scanner::ScanDir(int dir_fd, const std::string& rel_dir) {
  int fd = dup(dir_fd);
  if (fd < 0) return ErrnoStatus(errno, "dup");
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return ErrnoStatus(errno, absl::StrCat("reading directory ", rel_dir));
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* d = readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int err = errno;
  closedir(dir);
  if (err != 0) {
    return ErrnoStatus(err, absl::StrCat("reading directory ",
                                         rel_dir.empty() ? "." : rel_dir));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    RETURN_IF_ERROR(Visit(dir_fd, name, rel_dir));
  }
  return absl::OkStatus();
}

absl::Status Scanner::Visit(int dir_fd, const std::string& name,
                            const std::string& rel_dir) {
  ScannedEntry entry;
  entry.path = rel_dir.empty() ? name : absl::StrCat(rel_dir, "/", name);
  if (fstatat(dir_fd, name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();  // removed meanwhile
    return ErrnoStatus(errno, absl::StrCat("lstat ", entry.path));
  }
  mode_t type = entry.st.st_mode & S_IFMT;
  bool excluded = ignore_.Matches(entry.path);
  if (type == S_IFREG || type == S_IFLNK) {
    if (excluded) {
      ++counts_->ignored;
      return absl::OkStatus();
    }
    if (type == S_IFLNK) {
      entry.type = proto::ContextEntry::SYMLINK;
      std::string target(entry.st.st_size > 0 ? entry.st.st_size + 1 : 4096,
                         '\0');
      ssize_t n =
          readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) {
        if (errno == ENOENT) return absl::OkStatus();
        return ErrnoStatus(errno, absl::StrCat("readlink ", entry.path));
      }
      target.resize(n);
      entry.link_target = std::move(target);
    }
    Emit(std::move(entry));
    return absl::OkStatus();
  }
  if (type != S_IFDIR) {
    if (!excluded) ++counts_->special;
    return absl::OkStatus();
  }
  entry.type = proto::ContextEntry::DIRECTORY;
  if (excluded && ignore_.CanSkipDir(entry.path)) {
    ++counts_->ignored;
    return absl::OkStatus();
  }
  int fd = openat(dir_fd, name.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, absl::StrCat("opening directory ", entry.path));
  }
  ScopedFd closer(fd);
  std::string rel = entry.path;
  if (deferred_ != nullptr && !excluded && open_slots_->fetch_sub(1) > 0) {
    Emit(std::move(entry));
    deferred_->push_back({std::move(rel), std::move(closer)});
    return absl::OkStatus();
  }
  if (deferred_ != nullptr && !excluded) open_slots_->fetch_add(1);
  if (excluded) {
    ++counts_->ignored;
    pending_.push_back({std::move(entry)});
  } else {
    Emit(std::move(entry));
  }
  absl::Status s = ScanDir(fd, rel);
  if (excluded) pending_.pop_back();
  return s;
}

struct ScanResult {
  std::vector<ScannedEntry> entries;  // unsorted
  ScanCounts counts;
};

// Scans the directories in `queue` and every included directory below
// them, one directory at a time, on two threads: a context of 20,000 files
// is ~100 ms of lstat on one.
absl::StatusOr<ScanResult> ScanInParallel(const dockerfile::IgnoreMatcher& ignore,
                                          std::vector<DeferredDir> queue) {
  constexpr int kThreads = 2;
  std::atomic<int> open_slots{256 - static_cast<int>(queue.size())};
  std::mutex mu;
  std::condition_variable changed;
  int busy = 0;  // threads scanning a directory, which may add more
  absl::Status failed;
  ScanResult results[kThreads];
  auto work = [&](ScanResult& mine) {
    while (true) {
      DeferredDir dir;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] {
          return !queue.empty() || busy == 0 || !failed.ok();
        });
        if (queue.empty() || !failed.ok()) return;
        dir = std::move(queue.back());
        queue.pop_back();
        ++busy;
      }
      std::vector<DeferredDir> found;
      Scanner scanner(ignore, &mine.counts, &found, &open_slots);
      absl::Status status = scanner.ScanDir(dir.fd.get(), dir.rel);
      dir.fd = ScopedFd();
      open_slots.fetch_add(1);
      std::vector<ScannedEntry> entries = scanner.TakeEntries();
      mine.entries.insert(mine.entries.end(),
                          std::make_move_iterator(entries.begin()),
                          std::make_move_iterator(entries.end()));
      {
        std::lock_guard<std::mutex> lock(mu);
        --busy;
        if (!status.ok() && failed.ok()) failed = status;
        for (DeferredDir& d : found) queue.push_back(std::move(d));
      }
      changed.notify_all();
    }
  };
  std::thread helper([&] { work(results[1]); });
  work(results[0]);
  helper.join();
  if (!failed.ok()) return failed;
  ScanResult all = std::move(results[0]);
  for (int i = 1; i < kThreads; ++i) {
    all.counts.ignored += results[i].counts.ignored;
    all.counts.special += results[i].counts.special;
    all.entries.insert(all.entries.end(),
                       std::make_move_iterator(results[i].entries.begin()),
                       std::make_move_iterator(results[i].entries.end()));
  }
  return all;
}

}  // namespace

absl::StatusOr<std::vector<ScannedEntry>> ScanContext(
    const std::string& context_dir, const dockerfile::IgnoreMatcher& ignore,
    ScanCounts* counts) {
  int fd = open(context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the build context ", context_dir, " is not a directory"));
    }
    return ErrnoStatus(errno,
                       absl::StrCat("opening the build context ", context_dir));
  }
  ScopedFd closer(fd);
  std::vector<DeferredDir> roots;
  roots.push_back({"", std::move(closer)});
  ASSIGN_OR_RETURN(ScanResult result, ScanInParallel(ignore, std::move(roots)));
  if (counts != nullptr) {
    counts->ignored += result.counts.ignored;
    counts->special += result.counts.special;
  }
  std::vector<ScannedEntry> entries = std::move(result.entries);
  std::sort(entries.begin(), entries.end(),
            [](const ScannedEntry& a, const ScannedEntry& b) {
              return a.path < b.path;
            });
  return entries;
}

}  // namespace farm::client::context
