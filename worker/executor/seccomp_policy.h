// A seccomp policy written in farm's notation (grammar: seccomp/README.md),
// read into the values it states. Which rules apply to a given container is
// decided later, by seccomp_profile.h; this is only the notation.
#ifndef FARM_WORKER_EXECUTOR_SECCOMP_POLICY_H_
#define FARM_WORKER_EXECUTOR_SECCOMP_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::executor {

// A kernel as Docker compares them: <kernel>.<major> of its release.
struct KernelVersion {
  uint64_t kernel = 0;
  uint64_t major = 0;
};

// What a matching syscall gets: an action as runc names it (SCMP_ACT_ALLOW,
// SCMP_ACT_ERRNO, ...) and, for errno and trace, the value it returns when
// the policy gives one (none: runc's default, EPERM for errno).
struct SeccompAction {
  std::string name;
  std::optional<uint64_t> errno_ret;
};

// A condition on syscall argument `index` (0..5), as OCI states it: `op` is
// an SCMP_CMP_ name. For SCMP_CMP_MASKED_EQ, `value` is the mask and
// `value_two` what the masked argument must equal; other operators compare
// with `value` and leave `value_two` 0.
struct SeccompArg {
  uint64_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;
};

// The conditions of a rule's `only` clauses (all must hold) or `unless`
// clauses (any one drops the rule): capabilities ("CAP_SYS_ADMIN"), host
// architectures in libseccomp's lower-case names ("x86_64", "aarch64"), and
// a kernel at or above `min_kernel`.
struct SeccompFilter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::optional<KernelVersion> min_kernel;
};

// One rule: `action` for the syscalls `names` when all of `args` hold.
struct SeccompRule {
  SeccompAction action;
  std::vector<std::string> names;
  std::vector<SeccompArg> args;
  SeccompFilter only;
  SeccompFilter unless;
};

struct SeccompPolicy {
  // The name errors are reported under ("docker_default.policy").
  std::string file_name;
  // For syscalls no rule names.
  SeccompAction default_action;
  // One per `arch` line: a host architecture first, then the others a filter
  // for that host also covers. Empty: the filter covers the native one only.
  std::vector<std::vector<std::string>> arch_groups;
  // In the order written.
  std::vector<SeccompRule> rules;
};

// Reads `text`. Every statement is checked, whether or not it would apply
// to a given host. kInvalidArgument for the first error, as
// "<file_name>:<line>: <what>" ("<file_name>: no default line" when the
// policy lacks one).
absl::StatusOr<SeccompPolicy> ParseSeccompPolicy(absl::string_view text,
                                                 absl::string_view file_name);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_SECCOMP_POLICY_H_
