// WriteNewFile: puts a file that has no source tree entry (a heredoc of
// `COPY <<EOF`, the download of `ADD <url>`) at a prepared destination,
// replacing what is there as a copied file would.
#ifndef FARM_WORKER_FILEOPS_NEW_FILE_H_
#define FARM_WORKER_FILEOPS_NEW_FILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/io.h"
#include "worker/fileops/root_fs.h"

namespace farm::fileops {

struct NewFileMeta {
  uint32_t mode = 0644;  // before --chmod
  std::optional<uint32_t> chmod;
  Owner owner;
  absl::Time mtime;
};

// Writes `content` to `target` (a resolved path whose parent exists). An
// existing non-directory there is replaced; an existing directory is
// kFailedPrecondition naming it.
absl::Status WriteNewFile(const RootFs& root, const std::string& target,
                          ByteReader& content, const NewFileMeta& meta);

// The mode bits a file of mode `mode` gets under --chmod `chmod`: the
// permission bits are replaced, setuid/setgid/sticky kept (Docker 20.10).
uint32_t ApplyChmod(uint32_t mode, std::optional<uint32_t> chmod);

// Unlinks a non-directory at `name` in `dirfd` so a new entry can take its
// place; OK when nothing is there. kFailedPrecondition for a directory,
// naming `target` and `what` replaces it.
absl::Status MakeRoomFor(int dirfd, const std::string& name,
                         const std::string& target, absl::string_view what);

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_NEW_FILE_H_
