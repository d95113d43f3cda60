// Turns a seccomp profile in Docker's format into the OCI linux.seccomp
// section that runc applies, as Docker's daemon does for each container:
// rules are kept or dropped by the container's capabilities and the host's
// architecture and kernel. RUN steps get Docker's default profile this way.
#ifndef FARM_WORKER_EXECUTOR_SECCOMP_PROFILE_H_
#define FARM_WORKER_EXECUTOR_SECCOMP_PROFILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace farm::executor {

// Where a profile is applied: what moby's setupSeccomp reads from the
// container's spec and the host.
struct SeccompTarget {
  // The container's bounding set ("CAP_CHOWN", ...): a rule whose
  // includes.caps are all in it is kept, one with any excludes.caps in it is
  // dropped.
  std::vector<std::string> capabilities;
  // uname's machine ("x86_64", "aarch64", ...). Its entry in the profile's
  // archMap gives the output's architectures, and Docker's name for it
  // ("amd64", "arm64", ...) is matched against includes/excludes.arches.
  std::string arch;
  // uname's release ("6.1.0-18-amd64"), compared as <kernel>.<major> with
  // includes/excludes.minKernel. Parsed only when a rule has a minKernel.
  std::string kernel_release;
};

// Evaluates `profile` (Docker's format: defaultAction, defaultErrnoRet,
// archMap or architectures, syscalls[] with name or names, action, errnoRet,
// args, includes and excludes) for `target`, giving the OCI object
// (defaultAction, defaultErrnoRet, architectures, syscalls[] with names,
// action, errnoRet, args). A profile with neither a defaultAction nor
// syscalls disables seccomp, as in Docker, and gives null.
//
// kInvalidArgument, naming the culprit: a malformed profile (wrong types, an
// action, operator or architecture runc does not know, a bad minKernel, both
// name and names, both archMap and architectures), an arch this code does
// not know or that the profile's archMap lacks (Docker would fall back to
// libseccomp's native arch; a RUN sandbox should not rest on a guess), a
// kernel release without <kernel>.<major> when a rule needs it.
absl::StatusOr<nlohmann::json> SeccompFromDockerProfile(
    const nlohmann::json& profile, const SeccompTarget& target);

// Docker's default profile (seccomp/docker_default.json, embedded at build
// time) for `capabilities` on a host of `arch` and `kernel_release`.
absl::StatusOr<nlohmann::json> DockerDefaultSeccomp(
    const std::vector<std::string>& capabilities, absl::string_view arch,
    absl::string_view kernel_release);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_SECCOMP_PROFILE_H_
