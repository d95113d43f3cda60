// StatCache: remembers the digest of each context file under the identity
// stat(2) gives it (device, inode, size, mtime, ctime), so a rebuild hashes
// only the files that changed. One cache file per context directory.
#ifndef FARM_CLIENT_CONTEXT_STAT_CACHE_H_
#define FARM_CLIENT_CONTEXT_STAT_CACHE_H_

#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/digest.h"

namespace farm::client::context {

// What must stay the same for a cached digest to still describe a file.
// Any write to a file changes its ctime, so ctime alone catches content
// changes; the rest guards against inode reuse.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size = 0;
  int64_t mtime_nanos = 0;
  int64_t ctime_nanos = 0;

  static FileIdentity FromStat(const struct stat& st);

  friend bool operator==(const FileIdentity& a, const FileIdentity& b) {
    return a.dev == b.dev && a.ino == b.ino && a.size == b.size &&
           a.mtime_nanos == b.mtime_nanos && a.ctime_nanos == b.ctime_nanos;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FileIdentity& id) {
    return H::combine(std::move(h), id.dev, id.ino, id.size, id.mtime_nanos,
                      id.ctime_nanos);
  }
};

// Thread-safe. Entries not looked up or inserted since Load are dropped on
// Save, so the cache never outgrows the context.
class StatCache {
 public:
  // An empty cache that Save writes to `path`.
  explicit StatCache(std::string path) : path_(std::move(path)) {}

  // Reads the cache file. A missing, unreadable or corrupt file leaves the
  // cache empty and is not an error: the cache is only an optimisation.
  void Load();
  // Writes the entries in use atomically (temporary file and rename),
  // creating the directory. Skips the write when nothing changed since
  // Load. Errors: the write's own (kPermissionDenied, kResourceExhausted...).
  absl::Status Save();

  // The digest ("sha256:<hex>") cached for `id`, or "" and false.
  bool Lookup(const FileIdentity& id, std::string* digest);
  void Insert(const FileIdentity& id, const Digest& digest);

  const std::string& path() const { return path_; }
  size_t size() const;

 private:
  std::string path_;
  mutable absl::Mutex mu_;
  struct Entry {
    Digest digest;
    bool used = false;  // looked up or inserted since Load
  };
  absl::flat_hash_map<FileIdentity, Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t used_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
};

// Where a context's stat cache lives: $XDG_CACHE_HOME/farm/context, else
// $HOME/.cache/farm/context, plus a file named after the sha256 of the
// context's absolute path. "" when neither variable is set.
std::string DefaultStatCachePath(const std::string& absolute_context_dir);

}  // namespace farm::client::context

#endif  // FARM_CLIENT_CONTEXT_STAT_CACHE_H_
