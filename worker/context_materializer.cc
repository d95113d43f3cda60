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
#include "common/io.h"
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

std::string Parent(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

// One path of a manifest: its entry, or none for a directory that is there
// only because entries below it are.
struct Node {
  const proto::ContextEntry* entry = nullptr;
  bool IsDir() const {
    return entry == nullptr || entry->type() == proto::ContextEntry::DIRECTORY;
  }
};

// A manifest as a tree: every path, parents before children (a path sorts
// before anything below it), and which files take part in hard links.
struct Tree {
  std::map<std::string, Node> nodes;
  // Files written as a link to an earlier file of this tree.
  std::set<std::string> links;
  // Files that are a link or that a link points to.
  std::set<std::string> linked;

  const Node* Find(const std::string& rel) const {
    auto it = nodes.find(rel);
    return it == nodes.end() ? nullptr : &it->second;
  }
};

absl::Status Clash(const std::string& rel) {
  return absl::InvalidArgumentError(
      absl::StrCat("context entry \"", rel, "\" clashes with another entry"));
}

absl::StatusOr<Tree> BuildTree(const proto::ContextManifest& manifest) {
  Tree tree;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    const std::string& rel = entry.path();
    if (!IsSafeRelative(rel)) {
      return absl::InvalidArgumentError(
          absl::StrCat("context entry with unsafe path \"", rel, "\""));
    }
    for (size_t slash = rel.find('/'); slash != std::string::npos;
         slash = rel.find('/', slash + 1)) {
      const std::string parent = rel.substr(0, slash);
      if (!tree.nodes.try_emplace(parent).first->second.IsDir()) {
        return Clash(parent);
      }
    }
    auto [it, inserted] = tree.nodes.try_emplace(rel, Node{&entry});
    if (!inserted) {
      // Only a directory implied so far may be named afterwards.
      if (it->second.entry != nullptr ||
          entry.type() != proto::ContextEntry::DIRECTORY) {
        return Clash(rel);
      }
      it->second.entry = &entry;
    }
  }
  // A hard link whose first name is not part of this manifest (a subset of
  // the context) becomes a file of its own.
  for (const auto& [rel, node] : tree.nodes) {
    if (node.IsDir() || node.entry->type() != proto::ContextEntry::FILE ||
        node.entry->hardlink_of().empty()) {
      continue;
    }
    const Node* first = tree.Find(node.entry->hardlink_of());
    if (first != nullptr && !first->IsDir() &&
        first->entry->type() == proto::ContextEntry::FILE &&
        first->entry->hardlink_of().empty() &&
        node.entry->hardlink_of() < rel) {
      tree.links.insert(rel);
      tree.linked.insert(rel);
      tree.linked.insert(node.entry->hardlink_of());
    }
  }
  return tree;
}

// Whether what `held` has at `rel` can stay as `wanted` wants it.
bool Same(const Tree& held, const Tree& wanted, const std::string& rel,
          const Node& had) {
  const Node* want = wanted.Find(rel);
  if (want == nullptr) return false;
  if (had.IsDir() || want->IsDir()) return had.IsDir() && want->IsDir();
  const proto::ContextEntry& a = *had.entry;
  const proto::ContextEntry& b = *want->entry;
  if (a.type() != b.type()) return false;
  if (a.type() == proto::ContextEntry::SYMLINK) {
    return a.link_target() == b.link_target();
  }
  // A file whose mode or mtime changed is written again rather than
  // retouched: its inode may be in a snapshot.
  return a.digest() == b.digest() && a.mode() == b.mode() &&
         a.mtime_unix_nanos() == b.mtime_unix_nanos() &&
         !held.linked.count(rel) && !wanted.linked.count(rel);
}

// Creates `path` with `data`, the entry's mode and its mtime in whole
// seconds, as the layer keeps them: a file COPY would give the same mtime
// can then be linked into the layer as it is.
absl::Status WriteContextFile(const proto::ContextEntry& entry,
                              ByteReader& data, const std::string& path) {
  ScopedFd fd(open(path.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoStatus(errno, "create");
  char buf[1 << 16];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, data.Read(buf, sizeof(buf)));
    if (n == 0) break;
    for (size_t done = 0; done < n;) {
      ssize_t w = write(fd.get(), buf + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write");
      }
      done += static_cast<size_t>(w);
    }
  }
  if (fchmod(fd.get(), entry.mode() & 07777) != 0) {
    return ErrnoStatus(errno, "chmod");
  }
  struct timespec mtime = Timespec(entry.mtime_unix_nanos());
  mtime.tv_nsec = 0;
  struct timespec times[2] = {mtime, mtime};
  if (futimens(fd.get(), times) != 0) {
    return ErrnoStatus(errno, "setting times");
  }
  return absl::OkStatus();
}

absl::Status InContext(const proto::ContextEntry& entry,
                       const absl::Status& status) {
  return Annotate(status, absl::StrCat("context file \"", entry.path(), "\""));
}

// One file streamed from the store.
absl::Status FetchFile(const proto::ContextEntry& entry,
                       cache::BlobStore& blobs, const std::string& path) {
  absl::StatusOr<Digest> digest = Digest::Parse(entry.digest());
  if (!digest.ok()) return InContext(entry, digest.status());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs.Get(*digest);
  if (!reader.ok()) return InContext(entry, reader.status());
  absl::Status written = WriteContextFile(entry, **reader, path);
  return written.ok() ? written : InContext(entry, written);
}

// Small files are read many to a call (BlobStore::GetSmall): a context of
// 20,000 files is then a few hundred round trips to a remote store, not
// 20,000.
constexpr int64_t kSmallFile = 256 << 10;
constexpr int64_t kBatchBytes = 1 << 20;  // the server's batch budget
constexpr size_t kBatchFiles = 256;

absl::Status FetchBatch(const std::vector<const proto::ContextEntry*>& batch,
                        cache::BlobStore& blobs, const std::string& dir) {
  std::vector<Digest> digests;
  digests.reserve(batch.size());
  for (const proto::ContextEntry* entry : batch) {
    absl::StatusOr<Digest> digest = Digest::Parse(entry->digest());
    if (!digest.ok()) return InContext(*entry, digest.status());
    digests.push_back(*std::move(digest));
  }
  std::vector<absl::StatusOr<std::string>> data = blobs.GetSmall(digests);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!data[i].ok()) return InContext(*batch[i], data[i].status());
    StringReader reader(*data[i]);
    absl::Status written = WriteContextFile(
        *batch[i], reader, JoinPath(dir, batch[i]->path()));
    if (!written.ok()) return InContext(*batch[i], written);
  }
  return absl::OkStatus();
}

// Fetches `files`, `parallelism` batches or big files at a time; the first
// error wins.
absl::Status FetchAll(const std::vector<const proto::ContextEntry*>& files,
                      cache::BlobStore& blobs, const std::string& dir,
                      int parallelism) {
  std::vector<std::vector<const proto::ContextEntry*>> work_items;
  std::vector<const proto::ContextEntry*> batch;
  int64_t batch_bytes = 0;
  for (const proto::ContextEntry* file : files) {
    if (file->size() > kSmallFile) {
      work_items.push_back({file});
      continue;
    }
    if (batch.size() == kBatchFiles || batch_bytes + file->size() > kBatchBytes) {
      work_items.push_back(std::move(batch));
      batch.clear();
      batch_bytes = 0;
    }
    batch.push_back(file);
    batch_bytes += file->size();
  }
  if (!batch.empty()) work_items.push_back(std::move(batch));

  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  auto work = [&] {
    for (size_t i = next++; i < work_items.size(); i = next++) {
      const auto& item = work_items[i];
      absl::Status status =
          item.size() == 1 && item[0]->size() > kSmallFile
              ? FetchFile(*item[0], blobs, JoinPath(dir, item[0]->path()))
              : FetchBatch(item, blobs, dir);
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = status;
        next = work_items.size();
      }
    }
  };
  std::vector<std::thread> threads;
  int count = std::max(1, std::min<int>(parallelism, work_items.size()));
  for (int i = 1; i < count; ++i) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  return first_error;
}

absl::Status Remove(const std::string& dir, const std::string& rel,
                    bool is_dir) {
  const std::string path = JoinPath(dir, rel);
  if (is_dir) return RemoveAll(path);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("context: removing ", rel));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SyncContext(const proto::ContextManifest& held,
                         const proto::ContextManifest& wanted,
                         cache::BlobStore& blobs, const std::string& dir,
                         int parallelism) {
  ASSIGN_OR_RETURN(Tree want, BuildTree(wanted));
  absl::StatusOr<Tree> had = BuildTree(held);
  if (!had.ok()) {
    return absl::InternalError(absl::StrCat(
        "context: the directory's own record is unreadable: ",
        had.status().message()));
  }

  // Remove, top down, what cannot stay; what lies below a removed
  // directory goes with it.
  std::set<std::string> kept;
  for (const auto& [rel, node] : had->nodes) {
    const std::string parent = Parent(rel);
    const bool parent_kept = parent.empty() || kept.count(parent) > 0;
    if (parent_kept && Same(*had, want, rel, node)) {
      kept.insert(rel);
    } else if (parent_kept) {
      RETURN_IF_ERROR(Remove(dir, rel, node.IsDir()));
    }
  }

  // Write, top down, what is not there yet.
  std::vector<const proto::ContextEntry*> files;
  std::vector<const proto::ContextEntry*> links;
  std::vector<const proto::ContextEntry*> retouched;
  for (const auto& [rel, node] : want.nodes) {
    const std::string path = JoinPath(dir, rel);
    if (kept.count(rel)) {
      if (node.IsDir()) continue;
      const proto::ContextEntry& before = *had->Find(rel)->entry;
      if (before.mode() != node.entry->mode() ||
          before.mtime_unix_nanos() != node.entry->mtime_unix_nanos()) {
        retouched.push_back(node.entry);
      }
      continue;
    }
    if (node.IsDir()) {
      if (mkdir(path.c_str(), 0755) != 0) {
        return ErrnoStatus(errno, absl::StrCat("context: creating ", rel));
      }
    } else if (node.entry->type() == proto::ContextEntry::SYMLINK) {
      if (symlink(node.entry->link_target().c_str(), path.c_str()) != 0) {
        return ErrnoStatus(errno, absl::StrCat("context: symlink ", rel));
      }
      RETURN_IF_ERROR(SetTimes(path, node.entry->mtime_unix_nanos()));
    } else if (want.links.count(rel)) {
      links.push_back(node.entry);
    } else {
      files.push_back(node.entry);
    }
  }
  RETURN_IF_ERROR(FetchAll(files, blobs, dir, parallelism));
  for (const proto::ContextEntry* entry : links) {
    if (link(JoinPath(dir, entry->hardlink_of()).c_str(),
             JoinPath(dir, entry->path()).c_str()) != 0) {
      return ErrnoStatus(errno,
                         absl::StrCat("context: hard link ", entry->path()));
    }
  }
  for (const proto::ContextEntry* entry : retouched) {  // symlinks only
    RETURN_IF_ERROR(
        SetTimes(JoinPath(dir, entry->path()), entry->mtime_unix_nanos()));
  }
  // Directory modes and times last, deepest first: writing into a
  // directory moves its mtime, and read-only ones must still be filled.
  for (auto it = want.nodes.rbegin(); it != want.nodes.rend(); ++it) {
    const auto& [rel, node] = *it;
    if (!node.IsDir()) continue;
    const std::string path = JoinPath(dir, rel);
    uint32_t mode = node.entry != nullptr ? node.entry->mode() & 07777 : 0755;
    if (chmod(path.c_str(), mode) != 0) {
      return ErrnoStatus(errno, absl::StrCat("context: chmod ", rel));
    }
    if (node.entry != nullptr) {
      RETURN_IF_ERROR(SetTimes(path, node.entry->mtime_unix_nanos()));
    }
  }
  return absl::OkStatus();
}

absl::Status MaterializeContext(const proto::ContextManifest& manifest,
                                cache::BlobStore& blobs, const std::string& dir,
                                int parallelism) {
  return SyncContext(proto::ContextManifest(), manifest, blobs, dir,
                     parallelism);
}

}  // namespace farm::worker
