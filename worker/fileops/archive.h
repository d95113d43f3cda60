// ADD's local archives, as Docker handles them: a file is extracted when its
// content (not its name) is a tar, plain or compressed with gzip, bzip2, xz
// or zstd; anything else, a compressed file that holds no tar included, is
// copied as it is. Extraction keeps the archive's owners, modes and mtimes
// and cannot write outside the destination directory.
#ifndef FARM_WORKER_FILEOPS_ARCHIVE_H_
#define FARM_WORKER_FILEOPS_ARCHIVE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/io.h"
#include "worker/fileops/root_fs.h"

namespace farm::fileops {

// Reads `file` through the decompressor its first bytes call for (gzip,
// bzip2, xz, zstd, or none), as Docker's DecompressStream does: one layer
// of compression only.
std::unique_ptr<ByteReader> Decompressed(std::unique_ptr<ByteReader> file);

// True when the (decompressed) stream starts with a valid tar header, the
// test Docker's ADD applies (Go's tar.Reader.Next succeeding). Consumes the
// start of `file`. Read errors other than a short or damaged stream are
// returned.
absl::StatusOr<bool> IsTarArchive(std::unique_ptr<ByteReader> file);

// Extracts the archive in `file` into the existing directory `dir` (a
// resolved path in `root`) with the secure layer applier: nothing lands
// outside `dir`, and symlinks in the archive resolve inside it. Whiteout
// entries (.wh.*) delete, as in a layer (Docker's layer then holds the
// same whiteout). The directory's own mode and owner are kept even if the
// archive has a "./" entry, as Docker keeps them. Errors name `label` and
// the member at fault.
absl::Status ExtractArchive(std::unique_ptr<ByteReader> file,
                            const RootFs& root, const std::string& dir,
                            const std::string& label);

// A ByteReader over an open file descriptor, from its current offset.
std::unique_ptr<ByteReader> FdReader(ScopedFd fd);

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_ARCHIVE_H_
