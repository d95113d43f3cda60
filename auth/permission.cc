#include "auth/permission.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace farm::auth {
namespace {

// What a permission lets one do, and who has it, for error messages.
struct Wording {
  absl::string_view action;
  absl::string_view needs;
};

Wording WordingOf(Permission permission) {
  switch (permission) {
    case Permission::kIdentify:
      return {"ask the farm's version", "an identity this farm knows"};
    case Permission::kBuild:
      return {"start or list builds", "the client or admin role"};
    case Permission::kImages:
      return {"list or change images", "the client or admin role"};
    case Permission::kWork:
      return {"register as a worker", "the worker role"};
    case Permission::kCacheRead:
      return {"read the build cache", "the worker role"};
    case Permission::kCacheWrite:
      return {"write to the build cache", "the worker role"};
    case Permission::kAdminister:
      return {"administer the farm", "the admin role"};
  }
  return {"do this", "another role"};
}

const absl::flat_hash_map<std::string, Permission>& MethodTable() {
  using P = Permission;
  static const auto* table = new absl::flat_hash_map<std::string, Permission>{
      {"/farm.proto.BuildService/Build", P::kBuild},
      {"/farm.proto.BuildService/ListBuilds", P::kBuild},
      {"/farm.proto.BuildService/Version", P::kIdentify},
      {"/farm.proto.WorkerService/Connect", P::kWork},
      {"/farm.proto.WorkerService/ListWorkers", P::kAdminister},
      {"/farm.proto.WorkerService/Stats", P::kAdminister},
      {"/farm.proto.WorkerService/DrainWorker", P::kAdminister},
      // A worker's grant (StageJob.cache_mount_grant) then picks the tenant.
      {"/farm.proto.CacheMountService/GetCacheMount", P::kWork},
      {"/farm.proto.CacheMountService/AdvanceCacheMount", P::kWork},
      {"/farm.proto.ImageService/ReadImageBlob", P::kImages},
      {"/farm.proto.ImageService/ListImages", P::kImages},
      {"/farm.proto.ImageService/InspectImage", P::kImages},
      {"/farm.proto.ImageService/TagImage", P::kImages},
      {"/farm.proto.ImageService/RemoveImages", P::kImages},
      {"/farm.proto.ImageService/PruneImages", P::kImages},
      {"/farm.proto.ImageService/LoadImages", P::kImages},
      {"/farm.proto.ImageService/SaveImages", P::kImages},
      {"/farm.proto.ImageService/PullImage", P::kImages},
      {"/farm.proto.ImageService/PushImage", P::kImages},
      {"/farm.proto.CacheService/FindMissing", P::kCacheRead},
      {"/farm.proto.CacheService/BatchRead", P::kCacheRead},
      {"/farm.proto.CacheService/Read", P::kCacheRead},
      {"/farm.proto.CacheService/Stat", P::kCacheRead},
      {"/farm.proto.CacheService/GetActionResult", P::kCacheRead},
      {"/farm.proto.CacheService/BatchGetActionResults", P::kCacheRead},
      {"/farm.proto.CacheService/BatchUpdate", P::kCacheWrite},
      {"/farm.proto.CacheService/Write", P::kCacheWrite},
      {"/farm.proto.CacheService/UpdateActionResult", P::kCacheWrite},
      {"/farm.proto.CacheService/Stats", P::kAdminister},
      {"/farm.proto.CacheService/Prune", P::kAdminister},
      {"/farm.proto.CacheService/Delete", P::kAdminister},
      {"/farm.proto.CacheService/SetPins", P::kAdminister},
  };
  return *table;
}

}  // namespace

bool RoleHas(Role role, Permission permission) {
  switch (permission) {
    case Permission::kIdentify:
      return true;
    case Permission::kBuild:
    case Permission::kImages:
      return role == Role::kClient || role == Role::kAdmin;
    case Permission::kWork:
    case Permission::kCacheRead:
    case Permission::kCacheWrite:
      return role == Role::kWorker || role == Role::kAdmin;
    case Permission::kAdminister:
      return role == Role::kAdmin;
  }
  return false;
}

absl::Status Authorize(const Identity& identity, Permission permission) {
  if (RoleHas(identity.role, permission)) return absl::OkStatus();
  const Wording wording = WordingOf(permission);
  return absl::PermissionDeniedError(
      absl::StrCat("tenant ", identity.tenant, " (", RoleName(identity.role),
                   ", ", identity.source, ") may not ", wording.action,
                   ": that needs ", wording.needs));
}

std::optional<Permission> PermissionForMethod(absl::string_view full_method) {
  const auto& table = MethodTable();
  auto it = table.find(full_method);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

}  // namespace farm::auth
