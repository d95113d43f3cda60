// Turns a seccomp policy (seccomp_policy.h) into the OCI linux.seccomp
// section that runc applies, as Docker's daemon does with its profile for
// each container: rules are kept or dropped by the container's capabilities
// and the host's architecture and kernel. RUN steps get Docker's default
// policy this way.
#ifndef FARM_WORKER_EXECUTOR_SECCOMP_PROFILE_H_
#define FARM_WORKER_EXECUTOR_SECCOMP_PROFILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "worker/executor/seccomp_policy.h"

namespace farm::executor {

// Where a policy is applied: what moby's setupSeccomp reads from the
// container's spec and the host.
struct SeccompTarget {
  // The container's bounding set ("CAP_CHOWN", ...): a rule is kept only if
  // it holds all of the rule's `only cap`, and dropped if it holds any of
  // its `unless cap`.
  std::vector<std::string> capabilities;
  // uname's machine ("x86_64", "aarch64", "armv7l", ...). Its libseccomp
  // name ("x86_64", "aarch64", "arm", ...) picks the policy's `arch` line
  // and is matched against rules' `only arch` and `unless arch`.
  std::string arch;
  // uname's release ("6.1.0-18-amd64"), compared as <kernel>.<major> with
  // rules' `kernel >=`. Parsed only when a rule has one.
  std::string kernel_release;
};

// Evaluates `policy` for `target`, giving the OCI object: defaultAction,
// defaultErrnoRet, architectures (from the host's `arch` line; absent when
// the policy has none), syscalls[] with names, action, errnoRet and args,
// the kept rules in the policy's order.
//
// kInvalidArgument: an arch this code does not know, or one the policy's
// `arch` lines lack (Docker would fall back to libseccomp's native arch; a
// RUN sandbox should not rest on a guess); a kernel release without
// <kernel>.<major> when a rule needs it.
absl::StatusOr<nlohmann::json> SeccompFromPolicy(const SeccompPolicy& policy,
                                                 const SeccompTarget& target);

// Docker 20.10's default policy (seccomp/docker_default.policy, embedded at
// build time) for `capabilities` on a host of `arch` and `kernel_release`.
absl::StatusOr<nlohmann::json> DockerDefaultSeccomp(
    const std::vector<std::string>& capabilities, absl::string_view arch,
    absl::string_view kernel_release);

// The embedded policy, parsed; kInternal if it does not parse.
absl::StatusOr<SeccompPolicy> DockerDefaultPolicy();

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_SECCOMP_PROFILE_H_
