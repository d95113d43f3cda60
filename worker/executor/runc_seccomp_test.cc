// Docker's default seccomp profile as runc applies it to a sandboxed run:
// what it refuses (the errno a program sees), what still works, and that
// RUN --security=insecure and ProcessSpec::seccomp = false go without it.
// The refused calls come from seccomp_probe, a static program copied into
// the busybox rootfs. Needs root.
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/runc_executor.h"
#include "worker/executor/runc_test_util.h"

namespace farm::executor {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Errnos = std::map<std::string, std::string>;

std::string ProbePath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "farm",
                      "/worker/executor/seccomp_probe");
}

class SeccompTest : public RuncTest {
 protected:
  void SetUp() override {
    RuncTest::SetUp();
    absl::StatusOr<std::string> probe = ReadFile(ProbePath());
    ASSERT_TRUE(probe.ok()) << probe.status();
    ASSERT_TRUE(
        WriteFile(JoinPath(rootfs_, "usr/bin/seccomp-probe"), *probe, 0755)
            .ok());
  }

  // The probe's NAME=ERRNO lines ("0" for success).
  Errnos Probe(ProcessSpec spec = {}) {
    spec.args = {"/usr/bin/seccomp-probe"};
    Outcome outcome = Run(spec);
    EXPECT_EQ(outcome.code(), 0)
        << outcome.status.status() << " " << absl::StrJoin(outcome.err, "\n");
    Errnos errnos;
    for (const std::string& line : outcome.out) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, '=');
      errnos[kv.first] = kv.second;
    }
    return errnos;
  }

  // Runs `script` and returns its exit code and output, both streams.
  std::string ShOutput(const std::string& script, ProcessSpec spec = {}) {
    Outcome outcome = Sh(script, spec);
    return absl::StrCat(outcome.code(), ": ", outcome.Out(),
                        absl::StrJoin(outcome.err, "\n"));
  }

  static ProcessSpec Insecure() {
    ProcessSpec spec;
    spec.security = SecurityMode::kInsecure;
    return spec;
  }
};

TEST_F(SeccompTest, SandboxRefusesWhatDockerRefuses) {
  // fchmodat2 is newer than every syscall the profile names: runc makes
  // those fail with ENOSYS rather than EPERM, so C libraries fall back to an
  // older call.
  EXPECT_EQ(Probe(), (Errnos{{"keyctl", "EPERM"},
                             {"add_key", "EPERM"},
                             {"mount", "EPERM"},
                             {"reboot", "EPERM"},
                             {"fchmodat2", "ENOSYS"},
                             {"clone_newuser", "EPERM"},
                             {"fork_exec", "0"},
                             {"unshare_newuser", "EPERM"}}));
  // The process runs under a seccomp filter (mode 2).
  EXPECT_EQ(ShOutput("sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status"),
            "0: 2");
}

TEST_F(SeccompTest, WithoutTheProfileTheKernelWouldAllowThem) {
  // The same sandbox without seccomp: keyrings and user namespaces work, so
  // it was the profile that refused them. mount now gets as far as the path
  // lookup (the capability check comes after it); reboot fails on the
  // capability the sandbox lacks.
  ProcessSpec spec;
  spec.seccomp = false;
  EXPECT_EQ(Probe(spec), (Errnos{{"keyctl", "0"},
                                 {"add_key", "0"},
                                 {"mount", "ENOENT"},
                                 {"reboot", "EPERM"},
                                 {"fchmodat2", "EINVAL"},
                                 {"clone_newuser", "0"},
                                 {"fork_exec", "0"},
                                 {"unshare_newuser", "0"}}));
  EXPECT_EQ(
      ShOutput("sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status", spec),
      "0: 0");
}

TEST_F(SeccompTest, InsecureModeHasNoProfile) {
  // Privileged and unfiltered: mount reaches the path lookup and reboot the
  // magic-number check.
  EXPECT_EQ(Probe(Insecure()), (Errnos{{"keyctl", "0"},
                                       {"add_key", "0"},
                                       {"mount", "ENOENT"},
                                       {"reboot", "EINVAL"},
                                       {"fchmodat2", "EINVAL"},
                                       {"clone_newuser", "0"},
                                       {"fork_exec", "0"},
                                       {"unshare_newuser", "0"}}));
  EXPECT_EQ(ShOutput("sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status",
                     Insecure()),
            "0: 0");
}

TEST_F(SeccompTest, UnshareOfAUserNamespaceFailsOnlyInTheSandbox) {
  EXPECT_THAT(ShOutput("unshare -U true"),
              AllOf(StartsWith("1: "), HasSubstr("Operation not permitted")));
  EXPECT_EQ(ShOutput("unshare -U true && echo ok", Insecure()), "0: ok");
}

TEST_F(SeccompTest, OrdinaryProgramsStillWork) {
  EXPECT_EQ(ShOutput("ls / | grep -c -x -e bin -e etc -e tmp"), "0: 3");
  EXPECT_EQ(ShOutput("echo $(echo nested) | tr a-z A-Z; sh -c 'exit 3'; "
                     "echo $?"),
            "0: NESTED\n3");
  EXPECT_EQ(ShOutput("sleep 0.1 & wait $!; echo waited"), "0: waited");
  EXPECT_EQ(ShOutput("cd /tmp && echo x > f && chmod 600 f && chown 1000 f "
                     "&& ls -ln f | awk '{print $1, $3}' && rm f"),
            "0: -rw------- 1000");
  // A non-root user runs under the same filter.
  ProcessSpec app;
  app.user = "app";
  EXPECT_EQ(ShOutput("id -u; sed -n 's/^Seccomp:[[:space:]]*//p' "
                     "/proc/self/status",
                     app),
            "0: 1000\n2");
}

}  // namespace
}  // namespace farm::executor
