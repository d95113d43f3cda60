#include "auth/identity.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace farm::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kClient:
      return "client";
    case Role::kWorker:
      return "worker";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role role : {Role::kClient, Role::kWorker, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", absl::CHexEscape(name),
                   "\": expected client, worker or admin"));
}

bool IsValidTenant(absl::string_view tenant) {
  if (tenant.empty() || tenant.size() > 63) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(tenant[0]))) {
    return false;
  }
  for (char c : tenant) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace farm::auth
