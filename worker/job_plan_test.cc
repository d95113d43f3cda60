#include "worker/job_plan.h"

#include "dockerfile/dockerfile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "planner/planner.h"
#include "planner/stage_job.h"

namespace farm::worker {
namespace {

using ::testing::HasSubstr;

// A job for `stage` of `dockerfile` planned for linux/arm64, as the
// scheduler makes it, with one key per instruction and FROM's.
proto::StageJob Job(const std::string& dockerfile, int stage) {
  absl::StatusOr<dockerfile::Dockerfile> df =
      dockerfile::ParseDockerfile(dockerfile, "Dockerfile");
  EXPECT_TRUE(df.ok()) << df.status();
  planner::PlanOptions options;
  options.target_platform = {"linux", "arm64", ""};
  absl::StatusOr<planner::PlannedBuild> plan = planner::PlanBuild(*df, options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  proto::StageJob job;
  job.set_stage_index(stage);
  job.set_target_platform("linux/arm64");
  EXPECT_TRUE(
      planner::DescribeStage(*plan, stage, options.target_platform, &job).ok());
  for (int i = 0; i <= job.stage().instructions_size(); ++i) {
    job.add_keys("sha256:" + std::string(64, 'c'));
  }
  return job;
}

TEST(ReadJobPlanTest, ReadsTheStageTheSchedulerPlanned) {
  proto::StageJob job = Job(
      "ARG V=1\nFROM busybox AS b\nARG V\nRUN echo $V\nLABEL x=\"$V\"\n", 0);
  absl::StatusOr<JobPlan> plan = ReadJobPlan(job);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->stage.index(), 0);
  ASSERT_EQ(plan->instructions.size(), 3u);
  EXPECT_EQ(plan->stage.instructions(2).text(), "LABEL x=\"1\"");
  const auto* label = plan->instructions[2].As<dockerfile::LabelInstruction>();
  ASSERT_NE(label, nullptr);
  ASSERT_EQ(label->labels.size(), 1u);
  EXPECT_EQ(label->labels[0].value, "1");  // expanded by the scheduler
  EXPECT_EQ(plan->platform.arch, "arm64");
  EXPECT_EQ(plan->meta_args.at("V"), "1");
  EXPECT_EQ(plan->meta_args.at("TARGETARCH"), "arm64");
  EXPECT_EQ(plan->meta_args.at("BUILDARCH"), "amd64");
  EXPECT_EQ(plan->dockerfile_name, "Dockerfile");
}

TEST(ReadJobPlanTest, CountsThatDisagreeOrNoStageFail) {
  proto::StageJob job = Job("FROM busybox\nRUN true\n", 0);
  job.add_keys("sha256:" + std::string(64, 'd'));
  absl::StatusOr<JobPlan> plan = ReadJobPlan(job);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("Dockerfile:1"));
  EXPECT_THAT(plan.status().message(), HasSubstr("3 cache keys"));

  job = Job("FROM busybox\nRUN true\n", 0);
  job.mutable_instructions()->RemoveLast();
  EXPECT_EQ(ReadJobPlan(job).status().code(),
            absl::StatusCode::kFailedPrecondition);

  job.clear_stage();
  plan = ReadJobPlan(job);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("no planned stage"));
}

TEST(ReadJobPlanTest, AnInstructionThatDoesNotReadNamesItsLine) {
  proto::StageJob job = Job("FROM busybox\n\nRUN true\n", 0);
  job.mutable_instructions(0)->Clear();
  absl::StatusOr<JobPlan> plan = ReadJobPlan(job);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("Dockerfile:3"));
}

TEST(BaseOfJobTest, ConfigAndLayersOrScratch) {
  proto::StageJob job;
  JobBase base = BaseOfJob(job);
  EXPECT_FALSE(base.config.has_value());
  EXPECT_TRUE(base.layers.empty());

  job.mutable_base()->set_config("{}");
  job.mutable_base()->add_layers()->set_diff_id("x");
  base = BaseOfJob(job);
  ASSERT_TRUE(base.config.has_value());
  EXPECT_EQ(*base.config, "{}");
  EXPECT_EQ(base.layers.size(), 1u);
}

TEST(SourceLayersTest, ByStageOrImageAndScratchHasNone) {
  proto::StageJob job;
  (*job.mutable_sources())["stage 3"].add_layers()->set_diff_id("x");
  (*job.mutable_sources())["image alpine:3"].add_layers()->set_diff_id("y");
  proto::StageRef ref;
  ref.set_stage_index(3);
  ASSERT_TRUE(SourceLayers(job, ref).ok());
  EXPECT_EQ(SourceLayers(job, ref)->at(0).diff_id(), "x");
  ref.set_stage_index(-1);
  ref.set_image("alpine:3");
  EXPECT_EQ(SourceLayers(job, ref)->at(0).diff_id(), "y");
  ref.set_image("scratch");
  EXPECT_TRUE(SourceLayers(job, ref)->empty());
  ref.set_image("missing:1");
  EXPECT_EQ(SourceLayers(job, ref).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace farm::worker
