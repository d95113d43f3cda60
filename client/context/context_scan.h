// ScanContext: lists what a build context holds once the .dockerignore rules
// are applied, with lstat(2) data for each entry. It is the first half of
// the context walk; hashing the files is the second (ContextWalker).
#ifndef FARM_CLIENT_CONTEXT_CONTEXT_SCAN_H_
#define FARM_CLIENT_CONTEXT_CONTEXT_SCAN_H_

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dockerfile/dockerignore.h"
#include "proto/context.pb.h"

namespace farm::client::context {

struct ScannedEntry {
  std::string path;  // relative to the context, '/'-separated, cleaned
  proto::ContextEntry::Type type = proto::ContextEntry::FILE;
  struct stat st = {};
  std::string link_target;  // symlinks only, as stored
};

struct ScanCounts {
  int64_t ignored = 0;  // entries the ignore rules excluded (pruned
                        // directories count once)
  int64_t special = 0;  // fifos, sockets and devices, skipped as Docker does
};

// Walks `context_dir` (which must be a directory) without following
// symlinks. Entries come back sorted by path in byte order, so a directory
// precedes its contents. An excluded directory is not descended into when
// the rules allow pruning it (IgnoreMatcher::CanSkipDir); otherwise it is
// listed only when an exception re-includes something below it, as
// BuildKit does, so every entry's parent is in the list. Files that vanish
// during the scan are left out. Errors: kNotFound / kInvalidArgument when
// the context is missing or not a directory, and unreadable directories
// (kPermissionDenied...), naming the path.
absl::StatusOr<std::vector<ScannedEntry>> ScanContext(
    const std::string& context_dir, const dockerfile::IgnoreMatcher& ignore,
    ScanCounts* counts);

}  // namespace farm::client::context

#endif  // FARM_CLIENT_CONTEXT_CONTEXT_SCAN_H_
