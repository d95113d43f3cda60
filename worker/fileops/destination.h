// Destination: where one COPY/ADD source lands, by BuildKit's rules (its
// fsutil copy with the options the Dockerfile frontend sets):
//  - a relative destination is joined to WORKDIR (and cleaned); a trailing
//    "/" or a destination of "." marks a directory;
//  - the directory that will hold the result is created first (0755, with
//    the --chown owner when there is one);
//  - symlinks in the destination, the last component's too, are followed
//    inside the rootfs;
//  - a non-directory source whose destination is an existing directory goes
//    inside it under its own name; otherwise the destination is the path of
//    the result. A directory source's contents are merged into the
//    destination directory.
// Several sources with a destination that names a file are not an error:
// each one in turn replaces the last, as BuildKit does (the classic
// builder's "must end with a /" check does not exist there).
#ifndef FARM_WORKER_FILEOPS_DESTINATION_H_
#define FARM_WORKER_FILEOPS_DESTINATION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "worker/fileops/root_fs.h"

namespace farm::fileops {

struct Destination {
  // Absolute container path: as written when absolute, else joined to the
  // WORKDIR and cleaned.
  std::string path;
  // Written with a trailing "/" (or as "."): always a directory.
  bool dir_hint = false;

  static Destination FromInstruction(absl::string_view dest,
                                     absl::string_view workdir);
  // The path with the directory hint, as messages show it.
  std::string ToString() const { return dir_hint ? path + "/" : path; }
};

// Prepares the destination of one source that is a directory (or not),
// named `name` (the last component of the source as written), and returns
// the resolved relative path of the result: for a directory, the directory
// its contents go into; otherwise the file's path. Everything this creates
// gets `owner` when set.
absl::StatusOr<std::string> PrepareTarget(const RootFs& root,
                                          const Destination& dest,
                                          bool source_is_dir,
                                          const std::string& name,
                                          std::optional<Owner> owner);

// Makes sure the destination itself exists as a directory (ADD's archive
// extraction, COPY --parents) and returns it resolved.
absl::StatusOr<std::string> PrepareDirectory(const RootFs& root,
                                             const Destination& dest,
                                             std::optional<Owner> owner);

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_DESTINATION_H_
