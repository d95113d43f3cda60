#include "worker/job_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/oci/config.h"

namespace farm::worker {
namespace {

using ::testing::HasSubstr;

proto::ImageContent Image(const std::vector<std::string>& onbuild = {}) {
  image::oci::ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  config.config.env = {"PATH=/bin", "FROM_IMAGE=1"};
  config.config.on_build = onbuild;
  proto::ImageContent image;
  image.set_config(config.ToJson());
  image.set_manifest_digest("sha256:" + std::string(64, 'a'));
  image.add_layers()->set_diff_id("sha256:" + std::string(64, 'b'));
  return image;
}

proto::StageJob Job(const std::string& dockerfile, int stage, int keys) {
  proto::StageJob job;
  job.set_dockerfile(dockerfile);
  job.set_stage_index(stage);
  job.set_target_platform("linux/arm64");
  (*job.mutable_images())["base:1"] = Image({"RUN echo triggered"});
  for (int i = 0; i < keys; ++i) job.add_keys("sha256:" + std::string(64, 'c'));
  return job;
}

TEST(PlanJobTest, PlansTheJobsStageWithItsImagesTriggers) {
  proto::StageJob job =
      Job("ARG V=1\nFROM base:1 AS b\nARG V\nRUN echo $V\nFROM b\nLABEL x=y\n",
          0, 4);
  job.set_target("b");
  absl::StatusOr<JobPlan> plan = PlanJob(job);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->stage.index(), 0);
  ASSERT_EQ(plan->instructions.size(), 3u);
  EXPECT_EQ(plan->stage.instructions(0).text(), "RUN echo triggered");
  EXPECT_TRUE(plan->stage.instructions(0).from_onbuild());
  EXPECT_EQ(plan->platform.arch, "arm64");
  EXPECT_EQ(plan->meta_args.at("V"), "1");
  EXPECT_EQ(plan->meta_args.at("TARGETARCH"), "arm64");
  EXPECT_EQ(plan->dockerfile_name, "Dockerfile");
}

TEST(PlanJobTest, KeyCountMismatchAndMissingImageFail) {
  absl::StatusOr<JobPlan> plan = PlanJob(Job("FROM base:1\nRUN true\n", 0, 2));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("plans 2 instructions after FROM but the job has 2"));

  proto::StageJob job = Job("FROM other:2\nRUN true\n", 0, 2);
  plan = PlanJob(job);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("\"other:2\""));
  EXPECT_THAT(plan.status().message(), HasSubstr("Dockerfile:1"));

  plan = PlanJob(Job("FROM base:1\nRUN true\n", 5, 3));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("no stage 5"));
}

TEST(BaseOfJobTest, ImageStageOrScratch) {
  proto::StageJob job = Job("", 0, 1);
  proto::PlannedStage stage;
  stage.set_base("base:1");
  stage.set_base_stage_index(-1);
  absl::StatusOr<JobBase> base = BaseOfJob(job, stage);
  ASSERT_TRUE(base.ok());
  ASSERT_TRUE(base->config.has_value());
  EXPECT_EQ(base->layers.size(), 1u);

  stage.set_base("SCRATCH");
  base = BaseOfJob(job, stage);
  ASSERT_TRUE(base.ok());
  EXPECT_FALSE(base->config.has_value());
  EXPECT_TRUE(base->layers.empty());

  stage.set_base_stage_index(3);
  base = BaseOfJob(job, stage);
  EXPECT_EQ(base.status().code(), absl::StatusCode::kFailedPrecondition);
  (*job.mutable_stages())[3].set_config("{}");
  (*job.mutable_stages())[3].add_layers()->set_diff_id("x");
  base = BaseOfJob(job, stage);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(*base->config, "{}");

  proto::StageRef ref;
  ref.set_stage_index(-1);
  ref.set_image("missing:1");
  EXPECT_EQ(SourceLayers(job, ref).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ref.set_image("scratch");
  EXPECT_TRUE(SourceLayers(job, ref)->empty());
  ref.set_stage_index(3);
  EXPECT_EQ(SourceLayers(job, ref)->size(), 1u);
}

}  // namespace
}  // namespace farm::worker
