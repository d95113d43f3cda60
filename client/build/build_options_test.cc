#include "client/build/build_options.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

TEST(BuildOptionsTest, ReadsEveryFlag) {
  setenv("FROM_ENV", "env-value", 1);
  auto o = ParseBuildOptions({"-t",
                              "app:1",
                              "--tag=app:latest",
                              "-f",
                              "build/Dockerfile",
                              "--target",
                              "final",
                              "--build-arg",
                              "V=1",
                              "--build-arg",
                              "FROM_ENV",
                              "--build-arg",
                              "UNSET_ARG_XYZ",
                              "--no-cache",
                              "--pull",
                              "--push",
                              "--platform",
                              "linux/arm64",
                              "--progress",
                              "json",
                              "--remote",
                              "farm:7000",
                              "-o",
                              "type=oci,dest=out.tar",
                              "--secret",
                              "id=npm,src=/run/npmrc",
                              "--secret=id=api,env=API_KEY",
                              "--label",
                              "org.example.team=farm",
                              "--label=empty",
                              "--iidfile",
                              "id.txt",
                              "ctx"},
                             "ignored:1");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tags, (std::vector<std::string>{"app:1", "app:latest"}));
  EXPECT_EQ(o->file, "build/Dockerfile");
  EXPECT_EQ(o->target, "final");
  EXPECT_EQ(o->build_args, (std::map<std::string, std::string>{
                               {"FROM_ENV", "env-value"}, {"V", "1"}}));
  EXPECT_TRUE(o->no_cache);
  EXPECT_TRUE(o->pull);
  EXPECT_TRUE(o->push);
  EXPECT_FALSE(o->quiet);
  EXPECT_EQ(o->platform, "linux/arm64");
  EXPECT_EQ(o->progress, progress::ProgressMode::kJson);
  EXPECT_EQ(o->remote, "farm:7000");
  ASSERT_EQ(o->outputs.size(), 1u);
  EXPECT_EQ(o->outputs[0].format, "oci");
  EXPECT_EQ(o->outputs[0].dest, "out.tar");
  ASSERT_EQ(o->secrets.size(), 2u);
  EXPECT_EQ(o->secrets[0].id, "npm");
  EXPECT_EQ(o->secrets[0].file, "/run/npmrc");
  EXPECT_EQ(o->secrets[1].env, "API_KEY");
  EXPECT_EQ(o->labels, (std::map<std::string, std::string>{
                           {"empty", ""}, {"org.example.team", "farm"}}));
  EXPECT_EQ(o->iidfile, "id.txt");
  EXPECT_EQ(o->context, "ctx");
}

TEST(BuildOptionsTest, DefaultsAndTheRemoteFromTheEnvironment) {
  auto o = ParseBuildOptions({"-q", "."}, "sched:9000");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->quiet);
  EXPECT_EQ(o->progress, progress::ProgressMode::kAuto);
  EXPECT_EQ(o->remote, "sched:9000");
  EXPECT_TRUE(o->tags.empty());
  EXPECT_TRUE(o->outputs.empty());
  EXPECT_FALSE(o->no_cache);
  auto embedded = ParseBuildOptions({"."}, "");
  ASSERT_TRUE(embedded.ok());
  EXPECT_EQ(embedded->remote, "");
  auto off = ParseBuildOptions({"--no-cache=false", "."}, "");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->no_cache);
}

TEST(BuildOptionsTest, HelpNeedsNoContext) {
  auto o = ParseBuildOptions({"--help"}, "");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->help);
}

TEST(BuildOptionsTest, RejectsBadCommandLines) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{}, "want exactly one CONTEXT, got 0"},
      {{"a", "b"}, "want exactly one CONTEXT, got 2"},
      {{"--squash", "."}, "unknown flag: --squash"},
      {{".", "-t"}, "flag needs an argument: -t"},
      {{"--progress=fancy", "."},
       "invalid --progress \"fancy\": want auto, plain, tty or json"},
      {{"--output", "type=tar,dest=x", "."},
       "--output \"type=tar,dest=x\": unsupported type \"tar\"; want docker "
       "or oci"},
      {{"-q", "-o", "type=docker,dest=-", "."},
       "-q prints the image id on standard output, so --output cannot use "
       "dest=- with it"},
      {{"--push", "."}, "--push needs at least one -t tag"},
      {{"--build-arg", "=x", "."}, "--build-arg =x: the name is empty"},
      {{"-t", "", "."}, "-t: empty image name"},
      {{"--secret", "src=f", "."},
       "--secret src=f: the secret id is missing (id=...)"},
      {{"--label", "=v", "."}, "--label =v: the key is empty"},
      {{"--secret", "id=x,kind=file", "."},
       "--secret id=x,kind=file: unexpected key \"kind\""},
      {{"--run-memory", "lots", "."},
       "--run-memory: \"lots\" is not a size (e.g. 4GiB, 512MiB, "
       "1073741824)"},
      {{"--run-timeout", "soon", "."},
       "--run-timeout: \"soon\" is not a duration (e.g. 90s, 2h, 1h30m)"},
      {{"--run-pids", "-3", "."}, "--run-pids: \"-3\" is not a count"},
  };
  for (const Case& c : cases) {
    auto o = ParseBuildOptions(c.args, "");
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_EQ(o.status().message(), c.message);
  }
}

TEST(BuildOptionsTest, RunLimitsLowerTheWorkers) {
  auto o = ParseBuildOptions(
      {"--run-memory", "512MiB", "--run-pids=100", "--run-cpus", "1.5",
       "--run-timeout", "90s", "--run-disk", "2GiB", "."},
      "");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->run_limits.memory_bytes, uint64_t{512} << 20);
  EXPECT_EQ(o->run_limits.pids, 100);
  EXPECT_EQ(o->run_limits.cpus, 1.5);
  EXPECT_EQ(o->run_limits.timeout, absl::Seconds(90));
  EXPECT_EQ(o->run_limits.disk_bytes, uint64_t{2} << 30);
  // None given: every limit is the worker's.
  auto plain = ParseBuildOptions({"."}, "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->run_limits.memory_bytes, 0u);
  EXPECT_EQ(plain->run_limits.timeout, absl::ZeroDuration());
}

}  // namespace
}  // namespace farm::client::build
