#include "worker/executor/seccomp_policy.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::StatusOr<SeccompPolicy> Parse(const std::string& text) {
  return ParseSeccompPolicy(text, "test.policy");
}

// The policy `text` must parse; it gives an empty one if not.
SeccompPolicy MustParse(const std::string& text) {
  absl::StatusOr<SeccompPolicy> policy = Parse(text);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.value_or(SeccompPolicy());
}

void ExpectArg(const SeccompArg& arg, uint64_t index, const std::string& op,
               uint64_t value, uint64_t value_two = 0) {
  EXPECT_EQ(arg.index, index);
  EXPECT_EQ(arg.op, op);
  EXPECT_EQ(arg.value, value);
  EXPECT_EQ(arg.value_two, value_two);
}

TEST(SeccompPolicyTest, DefaultAndArchLines) {
  SeccompPolicy policy = MustParse(
      "# a comment line\n"
      "default errno\n"
      "\n"
      "arch x86_64 x86 x32  # a comment after a statement\n"
      "arch aarch64\n");
  EXPECT_EQ(policy.file_name, "test.policy");
  EXPECT_EQ(policy.default_action.name, "SCMP_ACT_ERRNO");
  EXPECT_FALSE(policy.default_action.errno_ret.has_value());
  EXPECT_THAT(
      policy.arch_groups,
      ElementsAre(ElementsAre("x86_64", "x86", "x32"), ElementsAre("aarch64")));
  EXPECT_THAT(policy.rules, IsEmpty());
}

TEST(SeccompPolicyTest, EveryActionAsDefaultAndInARule) {
  struct Case {
    std::string words;
    std::string name;
    std::optional<uint64_t> errno_ret;
  } cases[] = {
      {"allow", "SCMP_ACT_ALLOW", std::nullopt},
      {"errno", "SCMP_ACT_ERRNO", std::nullopt},
      {"errno 1", "SCMP_ACT_ERRNO", 1},
      {"errno 0x26", "SCMP_ACT_ERRNO", 38},
      {"errno 65535", "SCMP_ACT_ERRNO", 65535},
      {"kill", "SCMP_ACT_KILL", std::nullopt},
      {"kill-thread", "SCMP_ACT_KILL_THREAD", std::nullopt},
      {"kill-process", "SCMP_ACT_KILL_PROCESS", std::nullopt},
      {"trap", "SCMP_ACT_TRAP", std::nullopt},
      {"trace", "SCMP_ACT_TRACE", std::nullopt},
      {"trace 7", "SCMP_ACT_TRACE", 7},
      {"log", "SCMP_ACT_LOG", std::nullopt},
  };
  for (const Case& c : cases) {
    SeccompPolicy policy =
        MustParse("default " + c.words + "\n" + c.words + " read write\n");
    EXPECT_EQ(policy.default_action.name, c.name) << c.words;
    EXPECT_EQ(policy.default_action.errno_ret, c.errno_ret) << c.words;
    ASSERT_EQ(policy.rules.size(), 1u) << c.words;
    EXPECT_EQ(policy.rules[0].action.name, c.name) << c.words;
    EXPECT_EQ(policy.rules[0].action.errno_ret, c.errno_ret) << c.words;
    EXPECT_THAT(policy.rules[0].names, ElementsAre("read", "write"));
  }
}

TEST(SeccompPolicyTest, IndentedLinesContinueAStatement) {
  SeccompPolicy policy = MustParse(
      "allow read write\n"
      "  # a comment inside the rule\n"
      "\n"
      "  _llseek\tclose\r\n"
      "\tonly cap CAP_SYS_ADMIN\n"
      "allow exit\n"
      "default errno\n");
  ASSERT_EQ(policy.rules.size(), 2u);
  EXPECT_THAT(policy.rules[0].names,
              ElementsAre("read", "write", "_llseek", "close"));
  EXPECT_THAT(policy.rules[0].only.caps, ElementsAre("CAP_SYS_ADMIN"));
  EXPECT_THAT(policy.rules[1].names, ElementsAre("exit"));
  EXPECT_THAT(policy.rules[1].only.caps, IsEmpty());
}

TEST(SeccompPolicyTest, ArgumentConditions) {
  SeccompPolicy policy = MustParse(
      "default errno\n"
      "allow a when arg0 == 0x0\n"
      "allow b when arg1 != 5 and arg2 < 0x10\n"
      "  and arg3 <= 18446744073709551615\n"
      "allow c when arg4 > 1 and arg5 >= 0xFFFFffffffffffff\n"
      "allow d when arg0 & 0x7e020000 == 0x20000\n");
  ASSERT_EQ(policy.rules.size(), 4u);
  ASSERT_EQ(policy.rules[0].args.size(), 1u);
  ExpectArg(policy.rules[0].args[0], 0, "SCMP_CMP_EQ", 0);
  ASSERT_EQ(policy.rules[1].args.size(), 3u);
  ExpectArg(policy.rules[1].args[0], 1, "SCMP_CMP_NE", 5);
  ExpectArg(policy.rules[1].args[1], 2, "SCMP_CMP_LT", 16);
  ExpectArg(policy.rules[1].args[2], 3, "SCMP_CMP_LE", UINT64_MAX);
  ASSERT_EQ(policy.rules[2].args.size(), 2u);
  ExpectArg(policy.rules[2].args[0], 4, "SCMP_CMP_GT", 1);
  ExpectArg(policy.rules[2].args[1], 5, "SCMP_CMP_GE", UINT64_MAX);
  // MASKED_EQ: the mask is value, what the masked argument equals valueTwo.
  ASSERT_EQ(policy.rules[3].args.size(), 1u);
  ExpectArg(policy.rules[3].args[0], 0, "SCMP_CMP_MASKED_EQ", 0x7e020000,
            0x20000);
}

TEST(SeccompPolicyTest, OnlyAndUnlessClauses) {
  SeccompPolicy policy = MustParse(
      "default errno\n"
      "allow a only cap CAP_SYS_ADMIN CAP_SYS_PTRACE only arch x86_64 x32\n"
      "  only kernel >= 4.8\n"
      "allow b unless cap CAP_SYS_ADMIN unless arch s390 s390x\n"
      "  unless kernel >= 5.10\n"
      "errno 38 c when arg1 & 0x1 == 0x0 only arch s390x\n"
      "  unless cap CAP_SYS_ADMIN\n");
  ASSERT_EQ(policy.rules.size(), 3u);
  const SeccompRule& a = policy.rules[0];
  EXPECT_THAT(a.only.caps, ElementsAre("CAP_SYS_ADMIN", "CAP_SYS_PTRACE"));
  EXPECT_THAT(a.only.arches, ElementsAre("x86_64", "x32"));
  ASSERT_TRUE(a.only.min_kernel.has_value());
  EXPECT_EQ(a.only.min_kernel->kernel, 4u);
  EXPECT_EQ(a.only.min_kernel->major, 8u);
  EXPECT_THAT(a.unless.caps, IsEmpty());
  EXPECT_THAT(a.unless.arches, IsEmpty());
  EXPECT_FALSE(a.unless.min_kernel.has_value());

  const SeccompRule& b = policy.rules[1];
  EXPECT_THAT(b.unless.caps, ElementsAre("CAP_SYS_ADMIN"));
  EXPECT_THAT(b.unless.arches, ElementsAre("s390", "s390x"));
  ASSERT_TRUE(b.unless.min_kernel.has_value());
  EXPECT_EQ(b.unless.min_kernel->kernel, 5u);
  EXPECT_EQ(b.unless.min_kernel->major, 10u);
  EXPECT_THAT(b.only.caps, IsEmpty());

  const SeccompRule& c = policy.rules[2];
  EXPECT_EQ(c.action.name, "SCMP_ACT_ERRNO");
  EXPECT_EQ(c.action.errno_ret, 38u);
  EXPECT_THAT(c.names, ElementsAre("c"));
  ASSERT_EQ(c.args.size(), 1u);
  ExpectArg(c.args[0], 1, "SCMP_CMP_MASKED_EQ", 1, 0);
  EXPECT_THAT(c.only.arches, ElementsAre("s390x"));
  EXPECT_THAT(c.unless.caps, ElementsAre("CAP_SYS_ADMIN"));
}

TEST(SeccompPolicyTest, ErrorsNameTheLine) {
  const std::string d = "default errno\n";  // line 1
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {"  allow read\ndefault errno\n",
       "test.policy:1: an indented line with no statement above"},
      {d + "foo read\n",
       "test.policy:2: expected default, arch or an action (allow, errno, "
       "...), got \"foo\""},
      {"", "test.policy: no default line"},
      {"allow read\n", "test.policy: no default line"},
      {d + "default allow\n",
       "test.policy:2: a second default line (the first is line 1)"},
      {"default\n",
       "test.policy:1: expected an action after default, got nothing"},
      {"default errno read\n", "test.policy:1: unexpected \"read\""},
      {"default errno 65536\n", "test.policy:1: errno 65536 is over 65535"},
      {d + "trace 0x10000 read\n",
       "test.policy:2: trace 0x10000 is over 65535"},
      {d + "arch\n", "test.policy:2: arch: no architectures"},
      {d + "arch x86_64\n  vax\n",
       "test.policy:3: \"vax\" is not an architecture libseccomp knows"},
      {d + "arch x86_64\narch x86_64 x86\n",
       "test.policy:3: a second arch line for x86_64 (the first is line 2)"},
      {d + "arch x86_64 only cap CAP_SYS_ADMIN\n",
       "test.policy:2: unexpected \"only\""},
      {d + "allow\n", "test.policy:2: allow: no syscall names"},
      {d + "errno 38 when arg0 == 1\n",
       "test.policy:2: errno: no syscall names"},
      {d + "allow Read\n", "test.policy:2: \"Read\" is not a syscall name"},
      {d + "allow read\n  2read\n",
       "test.policy:3: \"2read\" is not a syscall name"},
      {d + "allow a when x0 == 1\n",
       "test.policy:2: expected arg0..arg5, got \"x0\""},
      {d + "allow a when arg6 == 1\n",
       "test.policy:2: expected arg0..arg5, got \"arg6\""},
      {d + "allow a when\n", "test.policy:2: expected arg0..arg5, got nothing"},
      {d + "allow a when arg0 = 1\n",
       "test.policy:2: expected ==, !=, <, <=, >, >= or & after arg0, got "
       "\"=\""},
      {d + "allow a when arg0 == 0xzz\n",
       "test.policy:2: expected a value (decimal or 0x hex, at most 64 bits), "
       "got \"0xzz\""},
      {d + "allow a when arg0 == 18446744073709551616\n",
       "test.policy:2: expected a value (decimal or 0x hex, at most 64 bits), "
       "got \"18446744073709551616\""},
      {d + "allow a when arg0 == -1\n",
       "test.policy:2: expected a value (decimal or 0x hex, at most 64 bits), "
       "got \"-1\""},
      {d + "allow a when arg0 & x == 0\n",
       "test.policy:2: expected a mask (decimal or 0x hex, at most 64 bits), "
       "got \"x\""},
      {d + "allow a when arg0 & 0x7e 0\n",
       "test.policy:2: expected == after the mask, got \"0\""},
      {d + "allow a when arg0 & 0x7e ==\n",
       "test.policy:2: expected a value (decimal or 0x hex, at most 64 bits), "
       "got nothing"},
      {d + "allow a when arg0 == 1\n  when arg1 == 2\n",
       "test.policy:3: a second when in one rule (join conditions with and)"},
      {d + "allow a when arg0 == 1 foo\n",
       "test.policy:2: expected when, only or unless, got \"foo\""},
      {d + "allow a\n  only\n",
       "test.policy:3: expected cap, arch or kernel after only, got nothing"},
      {d + "allow a unless caps CAP_KILL\n",
       "test.policy:2: expected cap, arch or kernel after unless, got "
       "\"caps\""},
      {d + "allow a only cap\n", "test.policy:2: only cap: no capabilities"},
      {d + "allow a only cap chown\n",
       "test.policy:2: \"chown\" is not a capability (CAP_...)"},
      {d + "allow a unless arch amd64\n",
       "test.policy:2: \"amd64\" is not an architecture libseccomp knows"},
      {d + "allow a only cap CAP_KILL\n  only cap CAP_CHOWN\n",
       "test.policy:3: a second \"only cap\" in one rule"},
      {d + "allow a unless arch x86 unless arch x32\n",
       "test.policy:2: a second \"unless arch\" in one rule"},
      {d + "allow a only kernel >= 4.8 only kernel >= 5.4\n",
       "test.policy:2: a second \"only kernel\" in one rule"},
      {d + "allow a only kernel 4.8\n",
       "test.policy:2: expected >= after only kernel, got \"4.8\""},
      {d + "allow a unless kernel >= 4\n",
       "test.policy:2: expected <kernel>.<major> (each 0..255, not 0.0), got "
       "\"4\""},
      {d + "allow a only kernel >= 0.0\n",
       "test.policy:2: expected <kernel>.<major> (each 0..255, not 0.0), got "
       "\"0.0\""},
      {d + "allow a only kernel >= 4.256\n",
       "test.policy:2: expected <kernel>.<major> (each 0..255, not 0.0), got "
       "\"4.256\""},
      {d + "allow a only kernel >= 4.8.1\n",
       "test.policy:2: expected <kernel>.<major> (each 0..255, not 0.0), got "
       "\"4.8.1\""},
      {d + "allow a only kernel >= 4.8 foo\n",
       "test.policy:2: expected when, only or unless, got \"foo\""},
      // Checked even where the rule would never apply, as Docker decodes
      // its whole profile before it filters.
      {d + "allow a only arch s390x\n  only kernel >= x.y\n",
       "test.policy:3: expected <kernel>.<major> (each 0..255, not 0.0), got "
       "\"x.y\""},
  };
  for (const Case& c : cases) {
    absl::Status status = Parse(c.text).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(status.message(), c.message) << c.text;
  }
}

}  // namespace
}  // namespace farm::executor
