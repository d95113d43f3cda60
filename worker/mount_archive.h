// A cache mount's directory as one CAS blob and back: the generations that
// workers share (docs/worker.md, "Cache mounts across workers"). The blob is
// a gzip tar in the layer format (image/layer), and restoring goes through
// the layer applier, which never writes outside the directory whatever the
// tar holds: names that climb out, links that lead out, writes through
// symlinks are refused, and so are device nodes.
#ifndef FARM_WORKER_MOUNT_ARCHIVE_H_
#define FARM_WORKER_MOUNT_ARCHIVE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::worker {

struct ArchivedDir {
  Digest digest;  // of the blob
  int64_t size = 0;
};

// Writes the tree under `dir` (not the directory's own metadata) to the
// file `path` as a gzip tar. Files keep their bytes, modes, owners, whole
// second mtimes and hardlinks; sockets are skipped. The file is removed on
// error. Errors: image::layer::WriteLayer's, the file's.
absl::StatusOr<ArchivedDir> ArchiveDir(const std::string& dir,
                                       const std::string& path);

// Unpacks the tar read from `in` (gzip, zstd or plain) into `dir`, which
// exists and is empty. kInvalidArgument naming the entry for one that
// would reach outside `dir`, kPermissionDenied for a device node,
// kResourceExhausted past `max_bytes` of uncompressed tar, kDataLoss for a
// damaged stream. On error `dir` holds part of the tar: discard it.
absl::Status UnpackDir(ByteReader* in, const std::string& dir,
                       uint64_t max_bytes);

}  // namespace farm::worker

#endif  // FARM_WORKER_MOUNT_ARCHIVE_H_
