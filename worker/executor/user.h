// The user a container process runs as, resolved from a Dockerfile USER (or
// `docker run -u`) string against the rootfs's /etc/passwd and /etc/group,
// following the rules Docker inherits from runc's libcontainer/user.
#ifndef FARM_WORKER_EXECUTOR_USER_H_
#define FARM_WORKER_EXECUTOR_USER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::executor {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Supplementary groups: the /etc/group entries that list the user, only
  // when the spec names no group.
  std::vector<uint32_t> additional_gids;

  bool operator==(const ResolvedUser& other) const {
    return uid == other.uid && gid == other.gid &&
           additional_gids == other.additional_gids;
  }
};

// Resolves `spec` ("", "name", "uid", "name:group", "uid:gid", ...) against
// the contents of /etc/passwd and /etc/group (nullopt: the file is missing).
//  - "" is root (0:0); "uid:gid" with both numeric needs no files.
//  - A numeric user without a passwd entry runs as that uid with gid 0; a
//    named user needs an entry, or kNotFound "unable to find user NAME: no
//    matching entries in passwd file".
//  - An explicit group is looked up by name or gid; an unknown group name is
//    kNotFound "unable to find group NAME: no matching entries in group
//    file". Without one, gid comes from passwd.
//  - Ids outside 0..2^31-1 are kInvalidArgument.
absl::StatusOr<ResolvedUser> ResolveUserFromFiles(
    absl::string_view spec, const std::optional<std::string>& passwd,
    const std::optional<std::string>& group);

// Reads /etc/passwd and /etc/group inside `rootfs` (symlinks resolved within
// it, never on the host) and calls ResolveUserFromFiles.
absl::StatusOr<ResolvedUser> ResolveUser(const std::string& rootfs,
                                         absl::string_view spec);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_USER_H_
