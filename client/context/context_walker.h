// WalkContext: turns a build context directory into the ContextManifest the
// client sends to the farm: every entry the .dockerignore lets through,
// with file digests computed in parallel or taken from the stat cache.
#ifndef FARM_CLIENT_CONTEXT_CONTEXT_WALKER_H_
#define FARM_CLIENT_CONTEXT_CONTEXT_WALKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/context/stat_cache.h"
#include "dockerfile/dockerignore.h"
#include "proto/context.pb.h"

namespace farm::client::context {

struct WalkOptions {
  int threads = 0;  // hashing threads; 0 means one per core
  // Not owned; null hashes every file. Entries are looked up and inserted;
  // the caller saves the cache.
  StatCache* stat_cache = nullptr;
  // A file whose ctime is this close to the start of the walk (or later) is
  // hashed but not cached: a write in the same timestamp tick right after
  // hashing would leave its stat unchanged. 1 s also covers filesystems
  // with whole-second timestamps.
  absl::Duration racy_window = absl::Seconds(1);
};

// What a walk did, for progress output and for tests (a walk served from
// the stat cache has hashed_files == 0 and hashed_bytes == 0).
struct WalkStats {
  int64_t files = 0;
  int64_t directories = 0;
  int64_t symlinks = 0;
  int64_t ignored = 0;
  int64_t special = 0;  // fifos, sockets, devices: skipped
  int64_t file_bytes = 0;
  int64_t hashed_files = 0;
  int64_t hashed_bytes = 0;  // file content actually read
  int64_t cached_files = 0;  // digests taken from the stat cache
};

// Where a file of the manifest is on disk, and the stat it had when walked,
// so an upload can tell whether it changed since.
struct FileOrigin {
  std::string path;  // relative, as in the manifest
  FileIdentity id;
};

struct ContextSnapshot {
  std::string root;  // the context's absolute, symlink-free path
  proto::ContextManifest manifest;
  // The stat of each manifest entry when walked (set for files), in
  // manifest order.
  std::vector<FileIdentity> identities;
  WalkStats stats;
};

// "sha256:<hex>" → the files of `snap` with that content, in manifest
// order. For uploads, so it is built only when one is needed: a rebuild of
// an unchanged context never needs it.
absl::flat_hash_map<std::string, std::vector<FileOrigin>> FilesByDigest(
    const ContextSnapshot& snap);

// Walks `context_dir` with the rules of `ignore` (see ScanContext for the
// order and the treatment of excluded directories). Directories, files and
// symlinks carry mode (permission bits with setuid/setgid/sticky), uid,
// gid and mtime; files also size and digest; symlinks their target as
// stored. Errors: ScanContext's, and HashFile's naming the file.
absl::StatusOr<ContextSnapshot> WalkContext(
    const std::string& context_dir, const dockerfile::IgnoreMatcher& ignore,
    const WalkOptions& options = {});

}  // namespace farm::client::context

#endif  // FARM_CLIENT_CONTEXT_CONTEXT_WALKER_H_
