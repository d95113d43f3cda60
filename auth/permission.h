// What each role may do, and which permission each farm RPC needs. The one
// table of access rules: servers ask Authorize before doing anything.
#ifndef FARM_AUTH_PERMISSION_H_
#define FARM_AUTH_PERMISSION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "auth/identity.h"

namespace farm::auth {

enum class Permission {
  // Ask what the farm is (its version): every role, so that `farm version`
  // proves any credentials.
  kIdentify,
  // Start builds, attach to and list one's own builds (client, admin).
  kBuild,
  // List/inspect/tag/rmi/prune/load/save/pull/push the tenant's images
  // (client, admin).
  kImages,
  // Register as a worker and run jobs (worker, admin).
  kWork,
  // Read CAS blobs and action results (worker, admin).
  kCacheRead,
  // Write CAS blobs and action results (worker, admin).
  kCacheWrite,
  // List workers, scheduler stats, every tenant's builds and images, cache
  // stats/prune/delete/pins (admin).
  kAdminister,
};

bool RoleHas(Role role, Permission permission);

// OK when the identity's role has `permission`; otherwise kPermissionDenied
// naming the identity (tenant, role, source) and what it may not do: "tenant
// team-b (client, token on line 2 of tokens) may not register as a worker:
// that needs the worker role".
absl::Status Authorize(const Identity& identity, Permission permission);

// The permission an RPC needs, by full method name
// ("/farm.proto.BuildService/Build"); nullopt for any other method, which
// callers must refuse.
std::optional<Permission> PermissionForMethod(absl::string_view full_method);

}  // namespace farm::auth

#endif  // FARM_AUTH_PERMISSION_H_
