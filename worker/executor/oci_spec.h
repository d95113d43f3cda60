// Generates a run's OCI runtime spec (config.json) with Docker's defaults:
// BuildKit's mounts, Docker's capabilities, masked paths and device rules.
// Pure, so tests check the JSON without runc; docs/executor.md says why.
#ifndef FARM_WORKER_EXECUTOR_OCI_SPEC_H_
#define FARM_WORKER_EXECUTOR_OCI_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "worker/executor/executor.h"
#include "worker/executor/user.h"

namespace farm::executor {

// Docker's default capability set (what `docker run` grants).
const std::vector<std::string>& DefaultCapabilities();
// What RUN --security=insecure grants (BuildKit's privileged list).
const std::vector<std::string>& InsecureCapabilities();
// Docker's masked and read-only paths (sandbox mode only).
const std::vector<std::string>& MaskedPaths();
const std::vector<std::string>& ReadonlyPaths();

// RLIMIT_NOFILE for every process, soft and hard: the limit Docker's daemon
// runs with and its containers and RUN steps inherit.
inline constexpr uint64_t kOpenFilesLimit = 1048576;

// The kernel's number for a capability name ("CAP_SYS_ADMIN" is 21), or -1.
int CapabilityNumber(const std::string& name);

// The capabilities a container gets in `mode` (its bounding set, and the
// effective and permitted sets of root): the mode's list less those not set
// in `held_capabilities` (SpecInputs::held_capabilities).
std::vector<std::string> GrantedCapabilities(SecurityMode mode,
                                             uint64_t held_capabilities);

// Host files and runtime facts the spec refers to.
struct SpecInputs {
  std::string rootfs;            // absolute host path of the root
  std::string hosts_file;        // bind-mounted at /etc/hosts
  std::string resolv_conf_file;  // bind-mounted at /etc/resolv.conf
  std::string hostname_file;     // bind-mounted at /etc/hostname, or ""
  ResolvedUser user;
  // Insecure mode exposes /dev/loop0 .. /dev/loop{N+7} where N is the first
  // free loop device, as BuildKit does.
  int first_free_loop = 0;
  // Bit N set: the worker holds capability N in its bounding set. runc can
  // grant no other, so the rest are left out of the spec.
  uint64_t held_capabilities = ~uint64_t{0};
  // RLIMIT_NOFILE, soft and hard: kOpenFilesLimit unless the worker cannot
  // raise its own hard limit that far (no CAP_SYS_RESOURCE).
  uint64_t open_files_limit = kOpenFilesLimit;
  // NetworkMode::kPrivate: the network namespace the network sandbox made
  // (/proc/<worker pid>/fd/<fd>, a descriptor the worker holds) for the
  // container to join; "" gives a fresh namespace with only lo.
  std::string network_namespace;
  // The linux.seccomp section (Docker's default profile for these
  // capabilities and this architecture); null for none.
  const nlohmann::json* seccomp = nullptr;
  // The container's cgroup (linux.cgroupsPath); "" leaves it to runc.
  std::string cgroups_path;
};

// kInvalidArgument when the spec cannot be run: no args, an env entry
// without '=' or with an empty name, a cwd or mount target that is not
// absolute, a bind mount without a source, tty without attach_stdio.
absl::Status ValidateProcessSpec(const ProcessSpec& spec);

// The config.json for `spec`. Call ValidateProcessSpec first.
nlohmann::json BuildOciSpec(const ProcessSpec& spec, const SpecInputs& inputs);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_OCI_SPEC_H_
