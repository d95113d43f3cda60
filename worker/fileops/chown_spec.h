// The owner a COPY/ADD --chown=<user>[:<group>] gives files, resolved the
// way BuildKit's file operations resolve it: names are looked up in the
// destination rootfs's /etc/passwd and /etc/group, and a name that is not
// found is not an error (Docker builds on with id 0, or the user's gid).
#ifndef FARM_WORKER_FILEOPS_CHOWN_SPEC_H_
#define FARM_WORKER_FILEOPS_CHOWN_SPEC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "worker/fileops/root_fs.h"

namespace farm::fileops {

// Resolves `spec` against the contents of /etc/passwd and /etc/group
// (nullopt: the file is missing):
//  - "root" and decimal numbers are ids as they are, with no lookup;
//  - a numeric user alone gives uid:uid ("1000" is 1000:1000);
//  - a user name gives its passwd uid and gid, or 0:0 when it has no entry;
//  - a group, by number or by name, replaces the gid; a group name without
//    an entry leaves the gid as the user part set it.
// kInvalidArgument for an empty spec or a negative or too large id.
absl::StatusOr<Owner> ResolveChownFromFiles(
    absl::string_view spec, const std::optional<std::string>& passwd,
    const std::optional<std::string>& group);

// Reads the rootfs's /etc/passwd and /etc/group (only when `spec` names a
// user or group) through `root`, and calls ResolveChownFromFiles.
absl::StatusOr<Owner> ResolveChown(const RootFs& root, absl::string_view spec);

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_CHOWN_SPEC_H_
