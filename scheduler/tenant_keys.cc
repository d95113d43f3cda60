#include "scheduler/tenant_keys.h"

#include <openssl/rand.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::scheduler {

namespace {
constexpr size_t kKeyBytes = 32;
}  // namespace

absl::StatusOr<std::unique_ptr<TenantKeys>> TenantKeys::Open(std::string dir) {
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  return std::unique_ptr<TenantKeys>(new TenantKeys(std::move(dir)));
}

absl::StatusOr<std::string> TenantKeys::KeyOf(const std::string& tenant) {
  if (tenant.empty() || absl::StrContains(tenant, "/") || tenant == "." ||
      tenant == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", tenant, "\" is not a tenant name"));
  }
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(tenant);
  if (it != keys_.end()) return it->second;
  const std::string path = JoinPath(dir_, absl::StrCat(tenant, ".key"));
  std::string key;
  if (PathExists(path)) {
    ASSIGN_OR_RETURN(key, ReadFile(path));
  }
  if (key.size() != kKeyBytes) {
    key.assign(kKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes) !=
        1) {
      return absl::InternalError("the random number generator failed");
    }
    RETURN_IF_ERROR(WriteFileAtomic(path, key, 0600));
  }
  keys_[tenant] = key;
  return key;
}

}  // namespace farm::scheduler
