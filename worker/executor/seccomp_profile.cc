#include "worker/executor/seccomp_profile.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "worker/executor/seccomp/docker_default.h"

namespace farm::executor {
namespace {

using nlohmann::json;

// uname's machine and libseccomp's name for its architecture, the one a
// policy's `arch` lines and `only arch` / `unless arch` use.
struct ArchNames {
  const char* machine;
  const char* seccomp;
};
constexpr ArchNames kArches[] = {
    {"x86_64", "x86_64"},   {"i386", "x86"},    {"i686", "x86"},
    {"aarch64", "aarch64"}, {"armv7l", "arm"},  {"armv6l", "arm"},
    {"ppc64le", "ppc64le"}, {"ppc64", "ppc64"}, {"s390x", "s390x"},
    {"riscv64", "riscv64"},
};

const ArchNames* FindArch(absl::string_view machine) {
  for (const ArchNames& arch : kArches) {
    if (machine == arch.machine) return &arch;
  }
  return nullptr;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Leading decimal digits of `text`, consumed; nullopt when there are none.
std::optional<uint64_t> ConsumeNumber(absl::string_view& text) {
  size_t n = 0;
  while (n < text.size() && absl::ascii_isdigit(text[n])) ++n;
  uint64_t number = 0;
  if (n == 0 || !absl::SimpleAtoi(text.substr(0, n), &number)) {
    return std::nullopt;
  }
  text.remove_prefix(n);
  return number;
}

// uname's release as Docker reads it: the leading <kernel>.<major>, so that
// "3.12.25-gentoo" and "3.12-1-amd64" are both 3.12.
absl::StatusOr<KernelVersion> ParseRelease(absl::string_view release) {
  absl::string_view rest = release;
  std::optional<uint64_t> kernel = ConsumeNumber(rest);
  bool dot = absl::ConsumePrefix(&rest, ".");
  std::optional<uint64_t> major = ConsumeNumber(rest);
  if (!kernel || !dot || !major) {
    return absl::InvalidArgumentError(
        absl::StrCat("kernel release \"", release,
                     "\" does not start with <kernel>.<major>"));
  }
  return KernelVersion{*kernel, *major};
}

// What the filters are matched against.
struct Host {
  const SeccompTarget* target;
  std::string arch;  // libseccomp's name
  absl::StatusOr<KernelVersion> kernel;

  bool HasCap(const std::string& cap) const {
    return Contains(target->capabilities, cap);
  }
  absl::StatusOr<bool> KernelAtLeast(const KernelVersion& min) const {
    if (!kernel.ok()) return kernel.status();
    return kernel->kernel > min.kernel ||
           (kernel->kernel == min.kernel && kernel->major >= min.major);
  }
};

// Docker's order: a rule is dropped when any `unless` matches (the host's
// arch, any of its caps held, a kernel at least its version), then unless
// every `only` matches (the host's arch, all of its caps held, a kernel at
// least its version).
absl::StatusOr<bool> Applies(const SeccompRule& rule, const Host& host) {
  const SeccompFilter& unless = rule.unless;
  if (Contains(unless.arches, host.arch)) return false;
  for (const std::string& cap : unless.caps) {
    if (host.HasCap(cap)) return false;
  }
  if (unless.min_kernel) {
    ASSIGN_OR_RETURN(bool newer, host.KernelAtLeast(*unless.min_kernel));
    if (newer) return false;
  }
  const SeccompFilter& only = rule.only;
  if (!only.arches.empty() && !Contains(only.arches, host.arch)) return false;
  for (const std::string& cap : only.caps) {
    if (!host.HasCap(cap)) return false;
  }
  if (only.min_kernel) {
    ASSIGN_OR_RETURN(bool newer, host.KernelAtLeast(*only.min_kernel));
    if (!newer) return false;
  }
  return true;
}

json OciRule(const SeccompRule& rule) {
  json out = {{"names", rule.names}, {"action", rule.action.name}};
  if (rule.action.errno_ret) out["errnoRet"] = *rule.action.errno_ret;
  for (const SeccompArg& arg : rule.args) {
    out["args"].push_back({{"index", arg.index},
                           {"value", arg.value},
                           {"valueTwo", arg.value_two},
                           {"op", arg.op}});
  }
  return out;
}

// The host's `arch` line as SCMP_ARCH_ names; none when the policy has no
// `arch` lines.
absl::StatusOr<std::vector<std::string>> Architectures(
    const SeccompPolicy& policy, const ArchNames& arch) {
  std::vector<std::string> arches;
  if (policy.arch_groups.empty()) return arches;
  for (const std::vector<std::string>& group : policy.arch_groups) {
    if (group.empty() || group[0] != arch.seccomp) continue;
    for (const std::string& name : group) {
      arches.push_back(absl::StrCat("SCMP_ARCH_", absl::AsciiStrToUpper(name)));
    }
    return arches;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(policy.file_name, ": no arch line for ", arch.seccomp, " (",
                   arch.machine, ")"));
}

}  // namespace

absl::StatusOr<json> SeccompFromPolicy(const SeccompPolicy& policy,
                                       const SeccompTarget& target) {
  const ArchNames* arch = FindArch(target.arch);
  if (arch == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: unknown architecture \"", target.arch, "\""));
  }
  json out = {{"defaultAction", policy.default_action.name}};
  if (policy.default_action.errno_ret) {
    out["defaultErrnoRet"] = *policy.default_action.errno_ret;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> arches,
                   Architectures(policy, *arch));
  // None: libseccomp takes the native architecture alone.
  if (!arches.empty()) out["architectures"] = arches;

  const Host host{&target, arch->seccomp, ParseRelease(target.kernel_release)};
  out["syscalls"] = json::array();
  for (const SeccompRule& rule : policy.rules) {
    ASSIGN_OR_RETURN(bool applies, Applies(rule, host));
    if (applies) out["syscalls"].push_back(OciRule(rule));
  }
  return out;
}

absl::StatusOr<SeccompPolicy> DockerDefaultPolicy() {
  absl::StatusOr<SeccompPolicy> policy =
      ParseSeccompPolicy(DockerDefaultPolicyText(), "docker_default.policy");
  if (!policy.ok()) {
    return absl::InternalError(absl::StrCat("the embedded seccomp policy: ",
                                            policy.status().message()));
  }
  return policy;
}

absl::StatusOr<json> DockerDefaultSeccomp(
    const std::vector<std::string>& capabilities, absl::string_view arch,
    absl::string_view kernel_release) {
  ASSIGN_OR_RETURN(SeccompPolicy policy, DockerDefaultPolicy());
  return SeccompFromPolicy(policy,
                           SeccompTarget{capabilities, std::string(arch),
                                         std::string(kernel_release)});
}

}  // namespace farm::executor
