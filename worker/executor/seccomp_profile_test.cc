#include "worker/executor/seccomp_profile.h"

#include <sched.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/oci_spec.h"
#include "worker/executor/seccomp_policy.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsSupersetOf;
using json = nlohmann::json;

constexpr char kKernel[] = "6.1.0-18-amd64";

json Section(const std::vector<std::string>& caps,
             const std::string& arch = "x86_64",
             const std::string& kernel = kKernel) {
  absl::StatusOr<json> section = DockerDefaultSeccomp(caps, arch, kernel);
  EXPECT_TRUE(section.ok()) << section.status();
  return section.value_or(json());
}

std::vector<std::string> WithCap(const std::string& cap) {
  std::vector<std::string> caps = DefaultCapabilities();
  caps.push_back(cap);
  return caps;
}

// Syscalls an SCMP_ACT_ALLOW rule without argument conditions names.
std::set<std::string> AllowedAlways(const json& section) {
  std::set<std::string> names;
  for (const json& rule : section["syscalls"]) {
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) {
      for (const json& name : rule["names"]) names.insert(name);
    }
  }
  return names;
}

// Every rule that names `syscall`.
std::vector<json> RulesFor(const json& section, const std::string& syscall) {
  std::vector<json> rules;
  for (const json& rule : section["syscalls"]) {
    const json& names = rule["names"];
    if (std::find(names.begin(), names.end(), syscall) != names.end()) {
      rules.push_back(rule);
    }
  }
  return rules;
}

// `policy` (farm's notation) evaluated for the default capabilities.
absl::StatusOr<json> Evaluate(const std::string& policy,
                              const std::string& arch = "x86_64",
                              const std::string& kernel = kKernel) {
  absl::StatusOr<SeccompPolicy> parsed =
      ParseSeccompPolicy(policy, "test.policy");
  if (!parsed.ok()) return parsed.status();
  return SeccompFromPolicy(*parsed, {DefaultCapabilities(), arch, kernel});
}

TEST(SeccompProfileTest, EmbeddedPolicyIsDockersDefault) {
  absl::StatusOr<SeccompPolicy> policy = DockerDefaultPolicy();
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->file_name, "docker_default.policy");
  EXPECT_EQ(policy->default_action.name, "SCMP_ACT_ERRNO");
  EXPECT_FALSE(policy->default_action.errno_ret.has_value());
  ASSERT_FALSE(policy->arch_groups.empty());
  EXPECT_THAT(policy->arch_groups[0], ElementsAre("x86_64", "x86", "x32"));
  EXPECT_EQ(policy->rules.size(), 27u);
  EXPECT_GT(policy->rules[0].names.size(), 300u);
}

TEST(SeccompProfileTest, DefaultCapabilitiesOnX86_64) {
  json section = Section(DefaultCapabilities());
  EXPECT_EQ(section["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_FALSE(section.contains("defaultErrnoRet"));  // EPERM in 20.10
  EXPECT_THAT(
      section["architectures"],
      ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
  std::set<std::string> allowed = AllowedAlways(section);
  EXPECT_THAT(allowed, IsSupersetOf({"read", "write", "openat", "execve",
                                     "fork", "wait4", "exit_group", "chroot",
                                     "arch_prctl", "modify_ldt", "ptrace",
                                     "faccessat2", "io_uring_enter"}));
  for (const char* refused : {"keyctl",
                              "add_key",
                              "request_key",
                              "unshare",
                              "setns",
                              "mount",
                              "umount2",
                              "pivot_root",
                              "reboot",
                              "kexec_load",
                              "bpf",
                              "init_module",
                              "open_by_handle_at",
                              "process_vm_readv",
                              "clone",
                              "clone3",
                              "breakpoint",
                              "s390_runtime_instr",
                              "syslog",
                              "acct"}) {
    EXPECT_EQ(allowed.count(refused), 0u) << refused;
  }
  // keyctl and friends are in no rule: the default action refuses them.
  for (const char* absent : {"keyctl", "add_key", "request_key", "kexec_load",
                             "mount", "unshare", "reboot", "bpf"}) {
    EXPECT_TRUE(RulesFor(section, absent).empty()) << absent;
  }
}

TEST(SeccompProfileTest, CloneRefusesNewNamespacesByItsFlags) {
  json section = Section(DefaultCapabilities());
  // One rule (the s390 variant, with the flags in argument 1, is dropped):
  // clone is allowed when none of the namespace flags is set.
  std::vector<json> clone = RulesFor(section, "clone");
  ASSERT_EQ(clone.size(), 1u);
  const uint64_t namespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                              CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                              CLONE_NEWCGROUP;
  EXPECT_EQ(clone[0], json::parse(R"({"names": ["clone"],
      "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": )" +
                                  std::to_string(namespaces) + R"(,
                "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})"));
  // clone3 passes its flags in memory a filter cannot read, so it fails with
  // ENOSYS and the C library falls back to clone.
  std::vector<json> clone3 = RulesFor(section, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0], json::parse(R"({"names": ["clone3"],
      "action": "SCMP_ACT_ERRNO", "errnoRet": 38})"));
  // personality is allowed for a few values only.
  std::vector<json> personality = RulesFor(section, "personality");
  ASSERT_EQ(personality.size(), 5u);
  EXPECT_EQ(personality[0]["args"][0]["op"], "SCMP_CMP_EQ");
}

TEST(SeccompProfileTest, OnlyActionsAndOperatorsRuncKnows) {
  json section = Section(DefaultCapabilities());
  std::set<std::string> actions, ops;
  for (const json& rule : section["syscalls"]) {
    actions.insert(rule["action"].get<std::string>());
    for (const json& arg : rule.value("args", json::array())) {
      ops.insert(arg["op"].get<std::string>());
    }
  }
  EXPECT_EQ(actions,
            (std::set<std::string>{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"}));
  EXPECT_EQ(ops, (std::set<std::string>{"SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ"}));
}

TEST(SeccompProfileTest, SysAdminBringsInDockersRuleForIt) {
  // What the policy's CAP_SYS_ADMIN rule lists, read from the data.
  absl::StatusOr<SeccompPolicy> policy = DockerDefaultPolicy();
  ASSERT_TRUE(policy.ok()) << policy.status();
  std::set<std::string> sys_admin_rule;
  for (const SeccompRule& rule : policy->rules) {
    if (rule.only.caps == std::vector<std::string>{"CAP_SYS_ADMIN"}) {
      sys_admin_rule.insert(rule.names.begin(), rule.names.end());
    }
  }
  EXPECT_THAT(sys_admin_rule,
              IsSupersetOf({"mount", "umount2", "unshare", "setns", "bpf",
                            "clone", "clone3"}));

  std::set<std::string> before = AllowedAlways(Section(DefaultCapabilities()));
  json section = Section(WithCap("CAP_SYS_ADMIN"));
  std::set<std::string> after = AllowedAlways(section);
  std::set<std::string> added;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::inserter(added, added.end()));
  EXPECT_EQ(added, sys_admin_rule);
  // The rules that exclude CAP_SYS_ADMIN are gone: clone's flag check and
  // clone3's ENOSYS.
  EXPECT_EQ(RulesFor(section, "clone").size(), 1u);
  EXPECT_EQ(RulesFor(section, "clone3").size(), 1u);
  EXPECT_FALSE(RulesFor(section, "clone")[0].contains("args"));
  EXPECT_EQ(RulesFor(section, "clone3")[0]["action"], "SCMP_ACT_ALLOW");
}

TEST(SeccompProfileTest, OtherCapabilitiesBringInTheirSyscalls) {
  EXPECT_EQ(AllowedAlways(Section(WithCap("CAP_SYS_BOOT"))).count("reboot"),
            1u);
  EXPECT_EQ(AllowedAlways(Section(WithCap("CAP_SYS_PTRACE")))
                .count("process_vm_readv"),
            1u);
  EXPECT_EQ(
      AllowedAlways(Section(WithCap("CAP_SYS_MODULE"))).count("finit_module"),
      1u);
  // Without CAP_SYS_CHROOT, chroot goes.
  std::vector<std::string> no_chroot;
  for (const std::string& cap : DefaultCapabilities()) {
    if (cap != "CAP_SYS_CHROOT") no_chroot.push_back(cap);
  }
  EXPECT_EQ(AllowedAlways(Section(no_chroot)).count("chroot"), 0u);
}

TEST(SeccompProfileTest, ArchitectureSelectsRulesAndSubArchitectures) {
  json arm = Section(DefaultCapabilities(), "aarch64");
  EXPECT_THAT(arm["architectures"],
              ElementsAre("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"));
  std::set<std::string> allowed = AllowedAlways(arm);
  EXPECT_EQ(allowed.count("arm_fadvise64_64"), 1u);
  EXPECT_EQ(allowed.count("arch_prctl"), 0u);
  EXPECT_EQ(allowed.count("modify_ldt"), 0u);

  absl::Status riscv =
      DockerDefaultSeccomp(DefaultCapabilities(), "riscv64", kKernel).status();
  EXPECT_EQ(riscv.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(riscv.message(),
            "docker_default.policy: no arch line for riscv64 (riscv64)");
  absl::Status vax =
      DockerDefaultSeccomp(DefaultCapabilities(), "vax", kKernel).status();
  EXPECT_EQ(vax.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(vax.message(), "seccomp: unknown architecture \"vax\"");
}

TEST(SeccompProfileTest, MinKernelComparesKernelAndMajorOnly) {
  // ptrace is allowed from 4.8 on.
  auto ptrace = [](const std::string& release) {
    return AllowedAlways(Section(DefaultCapabilities(), "x86_64", release))
        .count("ptrace");
  };
  EXPECT_EQ(ptrace("4.4.0-210-generic"), 0u);
  EXPECT_EQ(ptrace("4.8"), 1u);
  EXPECT_EQ(ptrace("4.8-1-amd64"), 1u);
  EXPECT_EQ(ptrace("4.19.0"), 1u);
  EXPECT_EQ(ptrace("3.99.0"), 0u);
  EXPECT_EQ(ptrace("6.18.44-fc"), 1u);

  absl::Status bad =
      DockerDefaultSeccomp(DefaultCapabilities(), "x86_64", "linux").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(),
            "kernel release \"linux\" does not start with <kernel>.<major>");
}

TEST(SeccompProfileTest, FiltersFollowDockersRules) {
  absl::StatusOr<json> section = Evaluate(
      "default errno 1\n"
      "arch x86_64\n"
      "allow a\n"
      "allow b only cap CAP_CHOWN CAP_SYS_ADMIN\n"
      "allow c unless cap CAP_SYS_ADMIN CAP_KILL\n"
      "allow d unless kernel >= 5.4\n"
      "allow e only arch aarch64\n"
      "allow f unless arch aarch64\n"
      "errno 38 g\n"
      "allow h only kernel >= 5.10 only cap CAP_KILL only arch x86_64\n"
      "allow i only kernel >= 5.11\n"
      "allow j when arg0 == 0x8 and arg2 & 0xff00 == 0x100\n",
      "x86_64", "5.10.0");
  ASSERT_TRUE(section.ok()) << section.status();
  // b needs both caps; c goes because CAP_KILL is held; d because 5.10 >=
  // 5.4; e is for aarch64 only; i for 5.11 and newer.
  EXPECT_EQ(*section, json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
      {"names": ["a"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["f"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["g"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
      {"names": ["h"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["j"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"},
        {"index": 2, "value": 65280, "valueTwo": 256,
         "op": "SCMP_CMP_MASKED_EQ"}]}
    ]})"));
}

TEST(SeccompProfileTest, ArchesAreLibseccompsNamesForTheHost) {
  const std::string policy =
      "default kill-process\n"
      "arch x86 x86_64\n"
      "arch mipsel64n32 mipsel\n"
      "allow a only arch x86\n"
      "allow b unless arch x86\n";
  // uname's i686 is libseccomp's x86.
  absl::StatusOr<json> x86 = Evaluate(policy, "i686");
  ASSERT_TRUE(x86.ok()) << x86.status();
  EXPECT_EQ(*x86, json::parse(R"({
    "defaultAction": "SCMP_ACT_KILL_PROCESS",
    "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"}]})"));
  absl::Status x86_64 = Evaluate(policy, "x86_64").status();
  EXPECT_EQ(x86_64.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(x86_64.message(), "test.policy: no arch line for x86_64 (x86_64)");
}

TEST(SeccompProfileTest, APolicyWithoutArchLinesLeavesTheNativeArch) {
  absl::StatusOr<json> section =
      Evaluate("default errno\nallow a unless arch aarch64\n", "aarch64");
  ASSERT_TRUE(section.ok()) << section.status();
  EXPECT_EQ(*section, json::parse(R"({"defaultAction": "SCMP_ACT_ERRNO",
                                      "syscalls": []})"));
}

TEST(SeccompProfileTest, KernelReleaseIsReadOnlyWhenARuleNeedsIt) {
  EXPECT_TRUE(Evaluate("default errno\nallow a\n", "x86_64", "linux").ok());
  absl::Status status =
      Evaluate("default errno\nallow a unless kernel >= 4.8\n", "x86_64",
               "linux")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "kernel release \"linux\" does not start with <kernel>.<major>");
}

}  // namespace
}  // namespace farm::executor
