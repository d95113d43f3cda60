// Identity: who is calling — a tenant, a role within the farm, and where the
// identity came from (for logs and errors). Tokens and client certificates
// both resolve to one.
#ifndef FARM_AUTH_IDENTITY_H_
#define FARM_AUTH_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::auth {

enum class Role { kClient, kWorker, kAdmin };

// "client", "worker", "admin".
absl::string_view RoleName(Role role);
// The inverse of RoleName (exact, lower case); kInvalidArgument otherwise.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// The tenant of the single-machine farm, where no identities are configured.
inline constexpr char kDefaultTenant[] = "default";

// 1–63 characters of [A-Za-z0-9._-], the first alphanumeric. Tenant names
// become directory names, so "." and ".." and slashes can never pass.
bool IsValidTenant(absl::string_view tenant);

struct Identity {
  std::string tenant;
  Role role = Role::kClient;
  // Where the identity came from, for logs and errors; never a secret:
  // "token on line 3 of /etc/farm/tokens", "certificate CN=team-a".
  std::string source;
};

}  // namespace farm::auth

#endif  // FARM_AUTH_IDENTITY_H_
