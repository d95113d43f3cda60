// TenantKeys: one random secret key per tenant, kept by the scheduler under
// its root (0600) and made on first use. Secret digests in cache keys are
// keyed with it (scheduler/secret_digests.h), so a key reveals nothing about
// a secret's value, and tenants' digests of one value differ.
#ifndef FARM_SCHEDULER_TENANT_KEYS_H_
#define FARM_SCHEDULER_TENANT_KEYS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace farm::scheduler {

// Thread-safe.
class TenantKeys {
 public:
  // `dir` is made (0700) if missing.
  static absl::StatusOr<std::unique_ptr<TenantKeys>> Open(std::string dir);

  // The 32-byte key of `tenant` (a valid tenant name: it names a file).
  // kInvalidArgument for a name with a slash or dot-only; errors of the
  // file system otherwise.
  absl::StatusOr<std::string> KeyOf(const std::string& tenant);

 private:
  explicit TenantKeys(std::string dir) : dir_(std::move(dir)) {}

  const std::string dir_;
  absl::Mutex mu_;
  std::map<std::string, std::string> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_TENANT_KEYS_H_
