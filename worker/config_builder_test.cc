#include "worker/config_builder.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dockerfile/dockerfile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "planner/planner.h"

namespace farm::worker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kPath = std::string("PATH=") + kDefaultPath;

// The expanded instructions of the last stage of `text`.
std::vector<dockerfile::Instruction> Plan(
    const std::string& text,
    const std::map<std::string, std::string>& build_args = {}) {
  absl::StatusOr<dockerfile::Dockerfile> df =
      dockerfile::ParseDockerfile(text, "Dockerfile");
  EXPECT_TRUE(df.ok()) << df.status();
  planner::PlanOptions options;
  options.build_args = build_args;
  absl::StatusOr<planner::PlannedBuild> plan = planner::PlanBuild(*df, options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan->instructions.at(plan->graph.target_index());
}

// Applies and records every instruction; layers get made-up diff_ids.
std::vector<StepRecord> ApplyAll(
    ConfigBuilder& builder,
    const std::vector<dockerfile::Instruction>& instructions) {
  std::vector<StepRecord> steps;
  int second = 0;
  for (const dockerfile::Instruction& instruction : instructions) {
    absl::StatusOr<StepRecord> step = builder.Apply(instruction);
    EXPECT_TRUE(step.ok()) << step.status();
    std::optional<Digest> diff_id;
    if (step->makes_layer) diff_id = Digest::Of(step->created_by);
    builder.Record(*step, diff_id, absl::FromUnixSeconds(1000 + ++second));
    steps.push_back(*step);
  }
  return steps;
}

ConfigBuilder Scratch(
    planner::Platform platform = {"linux", "amd64", ""},
    const std::map<std::string, std::string>& build_args = {}) {
  ConfigBuilderOptions options;
  options.platform = platform;
  options.build_args = build_args;
  absl::StatusOr<ConfigBuilder> builder =
      ConfigBuilder::Start(std::nullopt, options);
  EXPECT_TRUE(builder.ok()) << builder.status();
  return *std::move(builder);
}

TEST(ConfigBuilderTest, ScratchHasDockersDefaults) {
  ConfigBuilder builder = Scratch({"linux", "arm64", "v8"});
  const image::oci::ImageConfig& config = builder.config();
  EXPECT_EQ(config.architecture, "arm64");
  EXPECT_EQ(config.variant, "v8");
  EXPECT_EQ(config.os, "linux");
  EXPECT_THAT(config.config.env, ElementsAre(kPath));
  EXPECT_EQ(config.config.working_dir, "/");
  EXPECT_THAT(config.diff_ids, IsEmpty());
  nlohmann::json json = nlohmann::json::parse(builder.ToJson());
  EXPECT_EQ(json["rootfs"]["type"], "layers");
  EXPECT_EQ(json["rootfs"]["diff_ids"], nlohmann::json::array());
}

TEST(ConfigBuilderTest, BaseGetsPathAndLosesItsOnBuild) {
  absl::StatusOr<ConfigBuilder> builder = ConfigBuilder::Start(
      R"({"architecture":"amd64","os":"linux","config":{"Env":["A=1"],)"
      R"("OnBuild":["RUN x"],"WorkingDir":"/w"},)"
      R"("rootfs":{"type":"layers","diff_ids":[]}})",
      {});
  ASSERT_TRUE(builder.ok()) << builder.status();
  EXPECT_THAT(builder->config().config.env, ElementsAre("A=1", kPath));
  EXPECT_THAT(builder->config().config.on_build, IsEmpty());
  EXPECT_EQ(builder->working_dir(), "/w");
  EXPECT_THAT(builder->RunEnvironment(), ElementsAre("A=1", kPath));
}

TEST(ConfigBuilderTest, MalformedBaseIsInvalidArgument) {
  absl::StatusOr<ConfigBuilder> builder =
      ConfigBuilder::Start(std::string("{\"os\": 3}"), {});
  EXPECT_EQ(builder.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigBuilderTest, RecordsHistoryLayersAndTimes) {
  ConfigBuilder builder = Scratch();
  std::vector<StepRecord> steps =
      ApplyAll(builder, Plan("FROM scratch\nENV A=1\nRUN [\"/x\"]\nWORKDIR /\n"
                             "WORKDIR /w\nONBUILD RUN y\nCOPY a b/\n"));
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_FALSE(steps[4].writes_history);
  const image::oci::ImageConfig& config = builder.config();
  ASSERT_EQ(config.history.size(), 5u);
  std::vector<std::string> texts;
  for (const image::oci::History& h : config.history) {
    texts.push_back(
        absl::StrCat(h.created_by, h.empty_layer ? " (empty)" : ""));
    EXPECT_EQ(h.comment, kHistoryComment);
  }
  EXPECT_THAT(texts, ElementsAre("ENV A=1 (empty)", "RUN /x # buildkit",
                                 "WORKDIR / (empty)", "WORKDIR /w",
                                 "COPY a b/ # buildkit"));
  EXPECT_EQ(config.history[1].created, absl::FromUnixSeconds(1002));
  EXPECT_EQ(config.created, absl::FromUnixSeconds(1006));
  EXPECT_THAT(config.diff_ids, ElementsAre(Digest::Of("RUN /x # buildkit"),
                                           Digest::Of("WORKDIR /w"),
                                           Digest::Of("COPY a b/ # buildkit")));
  EXPECT_THAT(config.config.on_build, ElementsAre("RUN y"));
  EXPECT_EQ(config.config.working_dir, "/w");
}

TEST(ConfigBuilderTest, WorkdirIsRelativeToTheCurrentOne) {
  ConfigBuilder builder = Scratch();
  ApplyAll(builder, Plan("FROM scratch\nWORKDIR a\nWORKDIR b/../c\n"
                         "WORKDIR /abs/dir/\n"));
  std::vector<std::string> texts;
  for (const auto& h : builder.config().history) texts.push_back(h.created_by);
  EXPECT_THAT(texts,
              ElementsAre("WORKDIR /a", "WORKDIR /a/c", "WORKDIR /abs/dir/"));
  EXPECT_EQ(builder.working_dir(), "/abs/dir/");
}

TEST(ConfigBuilderTest, EntrypointResetsOnlyAnInheritedCmd) {
  const char* base =
      R"({"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},)"
      R"("rootfs":{"type":"layers","diff_ids":[]}})";
  absl::StatusOr<ConfigBuilder> inherited = ConfigBuilder::Start(base, {});
  ASSERT_TRUE(inherited.ok());
  ApplyAll(*inherited, Plan("FROM scratch\nENTRYPOINT [\"/e\"]\n"));
  EXPECT_THAT(inherited->config().config.cmd, IsEmpty());
  EXPECT_FALSE(inherited->config().config.args_escaped);

  absl::StatusOr<ConfigBuilder> own = ConfigBuilder::Start(base, {});
  ASSERT_TRUE(own.ok());
  ApplyAll(*own, Plan("FROM scratch\nSHELL [\"/bin/ash\", \"-c\"]\n"
                      "CMD run it\nENTRYPOINT [\"/e\"]\n"));
  EXPECT_THAT(own->config().config.cmd,
              ElementsAre("/bin/ash", "-c", "run it"));
  EXPECT_TRUE(own->config().config.args_escaped);
  EXPECT_EQ(own->config().history.back().created_by, "ENTRYPOINT [\"/e\"]");
}

TEST(ConfigBuilderTest, HealthcheckPrintsGoStruct) {
  ConfigBuilder builder = Scratch();
  ApplyAll(builder, Plan("FROM scratch\nHEALTHCHECK --interval=5s "
                         "--start-interval=250ms --retries=65 CMD true\n"));
  EXPECT_EQ(builder.config().history.back().created_by,
            "HEALTHCHECK &{[\"CMD-SHELL\" \"true\"] \"5s\" \"0s\" \"0s\" "
            "\"250ms\" 'A'}");
  ASSERT_TRUE(builder.config().config.healthcheck.has_value());
  EXPECT_EQ(builder.config().config.healthcheck->interval_ns, 5000000000);
  EXPECT_EQ(builder.config().config.healthcheck->start_interval_ns, 250000000);
  EXPECT_EQ(builder.config().config.healthcheck->retries, 65);
}

TEST(ConfigBuilderTest, RunHistoryListsDeclaredArgsAndEnvGetsThem) {
  const std::map<std::string, std::string> args = {{"HTTPS_PROXY", "http://p"}};
  ConfigBuilder builder = Scratch({"linux", "amd64", ""}, args);
  ApplyAll(
      builder,
      Plan("FROM scratch\nARG A=1\nARG B\nENV A=env\nRUN echo $A\n", args));
  EXPECT_EQ(builder.config().history.back().created_by,
            "RUN |2 A=env B= /bin/sh -c echo $A # buildkit");
  EXPECT_THAT(builder.RunEnvironment(),
              ElementsAre(kPath, "A=env", "HTTPS_PROXY=http://p"));
  EXPECT_THAT(builder.config().config.env, ElementsAre(kPath, "A=env"));
}

TEST(ConfigBuilderTest, RestoreTakesACachedConfig) {
  ConfigBuilder builder = Scratch();
  ConfigBuilder other = Scratch();
  ApplyAll(other, Plan("FROM scratch\nLABEL a=b\nUSER app\n"));
  ASSERT_TRUE(builder.Restore(other.ToJson()).ok());
  EXPECT_EQ(builder.user(), "app");
  EXPECT_EQ(builder.ToJson(), other.ToJson());
  absl::Status bad = builder.Restore("not json");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigBuilderTest, FromCannotBeApplied) {
  absl::StatusOr<dockerfile::Dockerfile> df =
      dockerfile::ParseDockerfile("FROM scratch\n", "Dockerfile");
  ASSERT_TRUE(df.ok());
  ConfigBuilder builder = Scratch();
  absl::StatusOr<StepRecord> step = builder.Apply(df->stages[0].from);
  EXPECT_EQ(step.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(step.status().message(), HasSubstr("FROM"));
}

TEST(RunArgvTest, ShellExecAndHeredocForms) {
  const std::vector<std::string> shell = {"/bin/sh", "-c"};
  std::vector<dockerfile::Instruction> runs = Plan(
      "FROM scratch\nRUN [\"/bin/echo\", \"a b\"]\nRUN echo  two\n"
      "RUN <<EOF\necho hi\nEOF\nRUN cat <<EOF > /f\nhello\nEOF\n"
      "RUN <<-EOT\n\techo tabbed\n\tEOT\n");
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_THAT(RunArgv(runs[0], shell), ElementsAre("/bin/echo", "a b"));
  EXPECT_THAT(RunArgv(runs[1], shell),
              ElementsAre("/bin/sh", "-c", "echo  two"));
  EXPECT_THAT(RunArgv(runs[2], shell),
              ElementsAre("/bin/sh", "-c", "echo hi\n"));
  EXPECT_THAT(RunArgv(runs[3], shell),
              ElementsAre("/bin/sh", "-c", "cat <<EOF > /f\nhello\nEOF"));
  EXPECT_THAT(RunArgv(runs[4], {"/bin/ash", "-ec"}),
              ElementsAre("/bin/ash", "-ec", "echo tabbed\n"));
}

TEST(ExposedPortsTest, ExpandsLikeNatParsePortSpecs) {
  struct Case {
    const char* word;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"80", {"80/tcp"}},
      {"53/udp", {"53/udp"}},
      {"443/TCP", {"443/tcp"}},
      {"8080-8082", {"8080/tcp", "8081/tcp", "8082/tcp"}},
      {"127.0.0.1:8000:80/udp", {"80/udp"}},
      {"080", {"80/tcp"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<std::string>> ports = ExposedPorts(c.word);
    ASSERT_TRUE(ports.ok()) << c.word << ": " << ports.status();
    EXPECT_EQ(*ports, c.want) << c.word;
  }
  for (const char* bad : {"", "x", "70000", "90-80", "80/ipx", "8080-"}) {
    absl::StatusOr<std::vector<std::string>> ports = ExposedPorts(bad);
    EXPECT_EQ(ports.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(ports.status().message(), HasSubstr("EXPOSE")) << bad;
  }
}

}  // namespace
}  // namespace farm::worker
