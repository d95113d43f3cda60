// Hashing of context files: one file at a time with a check that it did
// not change while it was read, and a small pool of threads to hash many
// files at once (OpenSSL's sha256 is CPU-bound, so one thread per core).
#ifndef FARM_CLIENT_CONTEXT_FILE_HASHING_H_
#define FARM_CLIENT_CONTEXT_FILE_HASHING_H_

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/digest.h"

namespace farm::client::context {

struct HashedFile {
  struct stat st = {};  // fstat(2) of the file as it was hashed
  Digest digest;
};

// Hashes the regular file at `path` (never following a symlink there) and
// adds the bytes read to `*bytes_read`. When the file changes while it is
// read (size, mtime or ctime differ before and after), it is read again, a
// few times at most. Errors name `display_path`: kAborted "file X kept
// changing while it was hashed", kFailedPrecondition when it is no longer
// a regular file, and open/read errors (kNotFound, kPermissionDenied...).
absl::StatusOr<HashedFile> HashFile(const std::string& path,
                                    const std::string& display_path,
                                    std::atomic<int64_t>* bytes_read);

// Calls `fn(i)` for every i in [0, count) on up to `threads` threads (at
// least one; the calling thread is one of them). Stops handing out work at
// the first error and returns it; otherwise OK. `fn` must be thread-safe.
absl::Status ParallelFor(size_t count, int threads,
                         const std::function<absl::Status(size_t)>& fn);

}  // namespace farm::client::context

#endif  // FARM_CLIENT_CONTEXT_FILE_HASHING_H_
