// DirFingerprint: a cheap summary of a directory tree, to tell whether a
// cache mount changed since its last generation without reading its files.
// It hashes every entry's path, type, mode, owner, size, link target, mtime
// and ctime (nanoseconds; a write or chmod moves them), so a walk of lstat
// calls stands in for reading and hashing gigabytes.
#ifndef FARM_WORKER_DIR_FINGERPRINT_H_
#define FARM_WORKER_DIR_FINGERPRINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/digest.h"

namespace farm::worker {

struct DirSummary {
  Digest fingerprint;
  uint64_t bytes = 0;    // of regular files, each hardlinked file once
  uint64_t entries = 0;  // below the directory
};

// Walks `dir` without following symlinks. The fingerprint depends only on
// the tree, not on the order the filesystem lists it in. Errors: the
// walk's (kNotFound for a missing `dir`).
absl::StatusOr<DirSummary> SummarizeDir(const std::string& dir);

}  // namespace farm::worker

#endif  // FARM_WORKER_DIR_FINGERPRINT_H_
