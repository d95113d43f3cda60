// Replays the config side of every compat case Docker built without error
// (tests/compat/cases, found in the runfiles): each planned stage is
// walked with ConfigBuilder from the busybox fixture's config, from scratch
// or from the stage it builds on, and the target's config and history must
// equal what Docker's BuildKit recorded in expected.json.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "dockerfile/dockerfile.h"
#include "gtest/gtest.h"
#include "image/oci/config.h"
#include "nlohmann/json.hpp"
#include "planner/build_args.h"
#include "planner/planner.h"
#include "worker/compat_case.h"
#include "worker/config_builder.h"

namespace farm::worker {
namespace {

using Json = nlohmann::json;

// The config of tests/fixtures/make_busybox_image.sh's image.
constexpr char kBusyboxConfig[] =
    R"({"architecture":"amd64","os":"linux",)"
    R"("created":"2024-01-01T00:00:00Z",)"
    R"("config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:)"
    R"(/usr/bin:/sbin:/bin"],"Cmd":["sh"]},)"
    R"("history":[{"created":"2024-01-01T00:00:00Z",)"
    R"("created_by":"tests/fixtures/make_busybox_image.sh"}],)"
    R"("rootfs":{"type":"layers","diff_ids":["sha256:)"
    R"(e6336896f6bf8a18c4c0a5e946e3ed0fc3d47160009e5cf0891d0ef485e26abe"]}})";

class BusyboxResolver : public planner::BaseImageResolver {
 public:
  absl::StatusOr<std::optional<planner::BaseImage>> Resolve(
      const std::string& reference, const std::string&) override {
    if (reference != "busybox:latest") {
      return absl::NotFoundError(absl::StrCat("no image ", reference));
    }
    return planner::BaseImage{{std::string("PATH=") + kDefaultPath}, {}};
  }
};

std::string CaseDir(const std::string& name) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "farm", "/tests/compat/cases/",
                      name);
}

void RunCase(const std::string& name) {
  const std::string dir = CaseDir(name);
  absl::StatusOr<std::string> text = ReadFile(dir + "/Dockerfile");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<std::string> expected_text = ReadFile(dir + "/expected.json");
  ASSERT_TRUE(expected_text.ok()) << expected_text.status();
  Json expected = Json::parse(*expected_text);

  BusyboxResolver resolver;
  planner::PlanOptions options;
  options.resolver = &resolver;
  testing::CaseArgs args = testing::ReadCaseArgs(dir);
  options.target = args.target;
  options.build_args = args.build_args;
  absl::StatusOr<dockerfile::Dockerfile> df =
      dockerfile::ParseDockerfile(*text, "Dockerfile");
  ASSERT_TRUE(df.ok()) << df.status();
  absl::StatusOr<planner::PlannedBuild> plan = planner::PlanBuild(*df, options);
  ASSERT_TRUE(plan.ok()) << plan.status();

  ConfigBuilderOptions builder_options;
  builder_options.build_args = options.build_args;
  // As the worker does (job_plan.cc): the platform ARGs, then the global ones.
  builder_options.meta_args =
      planner::PlatformArgs(options.build_platform, options.target_platform);
  for (const auto& [key, value] : plan->graph.meta_args()) {
    builder_options.meta_args[key] = value;
  }
  std::map<int, std::string> outputs;
  for (const proto::PlannedStage& stage : plan->graph.stages()) {
    std::optional<std::string> base;
    if (stage.base_stage_index() >= 0) {
      base = outputs.at(stage.base_stage_index());
    } else if (absl::AsciiStrToLower(stage.base()) != "scratch") {
      base = kBusyboxConfig;
    }
    absl::StatusOr<ConfigBuilder> builder =
        ConfigBuilder::Start(base, builder_options);
    ASSERT_TRUE(builder.ok()) << builder.status();
    for (const dockerfile::Instruction& in :
         plan->instructions.at(stage.index())) {
      absl::StatusOr<StepRecord> step = builder->Apply(in);
      ASSERT_TRUE(step.ok()) << step.status();
      std::optional<Digest> diff_id;
      if (step->makes_layer) diff_id = Digest::Of(step->created_by);
      builder->Record(*step, diff_id, absl::UnixEpoch());
    }
    outputs[stage.index()] = builder->ToJson();
  }
  // --label is the scheduler's to apply, on the target's config.
  absl::StatusOr<std::string> labelled = image::oci::WithLabels(
      outputs.at(plan->graph.target_index()), args.labels);
  ASSERT_TRUE(labelled.ok()) << labelled.status();
  const std::string& result = *labelled;
  Json got = testing::CompatConfig(result);
  for (auto it = expected["config"].begin(); it != expected["config"].end();
       ++it) {
    EXPECT_EQ(got[it.key()], testing::NullIfEmpty(it.value()))
        << name << ": config " << it.key();
  }
  EXPECT_EQ(testing::CompatHistory(result).dump(1), expected["history"].dump(1))
      << name;
  size_t layers = expected["base_layers"].size() + expected["layers"].size();
  EXPECT_EQ(Json::parse(result)["rootfs"]["diff_ids"].size(), layers) << name;
}

class CaseTest : public ::testing::Test {
 public:
  explicit CaseTest(std::string name) : name_(std::move(name)) {}
  void TestBody() override { RunCase(name_); }

 private:
  std::string name_;
};

}  // namespace
}  // namespace farm::worker

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // Every case with an expected.json; fail-* cases have none.
  const std::string cases = farm::worker::CaseDir("");
  absl::StatusOr<std::vector<std::string>> names = farm::ListDir(cases);
  if (!names.ok() || names->empty()) {
    fprintf(stderr, "no compat cases under %s\n", cases.c_str());
    return 1;
  }
  int registered = 0;
  for (const std::string& name : *names) {
    if (!farm::PathExists(farm::worker::CaseDir(name) + "/expected.json")) {
      continue;
    }
    std::string test_name = name;
    for (char& c : test_name) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    ++registered;
    testing::RegisterTest("CompatCorpus", test_name.c_str(), nullptr, nullptr,
                          __FILE__, __LINE__, [name]() -> ::testing::Test* {
                            return new farm::worker::CaseTest(name);
                          });
  }
  fprintf(stderr, "%d compat cases\n", registered);
  return RUN_ALL_TESTS();
}
