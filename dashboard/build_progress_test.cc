#include "dashboard/build_progress.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace farm::dashboard {
namespace {

using Kind = proto::BuildEvent;

constexpr int64_t kT0 = 1700000000000;  // ms

proto::BuildEvent Event(Kind::Kind kind, int stage, int instruction, int count,
                        int64_t at_ms, std::string worker = "",
                        std::string text = "") {
  proto::BuildEvent event;
  event.set_kind(kind);
  event.set_stage_index(stage);
  event.set_stage_name(absl::StrCat("s", stage));
  event.set_instruction_index(instruction);
  event.set_instruction_count(count);
  event.set_timestamp_unix_nanos((kT0 + at_ms) * 1000000);
  event.set_worker(std::move(worker));
  event.set_text(std::move(text));
  return event;
}

// FROM busybox AS base / FROM base AS left / FROM base AS right /
// FROM base (COPY --from=left, COPY --from=right): each stage has its FROM
// on line 1 + 3i and one more instruction on the next line.
scheduler::BuildOutline Diamond() {
  scheduler::BuildOutline outline;
  outline.dockerfile_name = "Dockerfile";
  scheduler::PlatformGraph graph;
  for (int i = 0; i < 4; ++i) {
    proto::PlannedStage* stage = graph.graph.add_stages();
    stage->set_index(i);
    stage->set_from_line(1 + 3 * i);
    if (i > 0) stage->add_depends_on(0);
    if (i == 3) {
      stage->add_depends_on(1);
      stage->add_depends_on(2);
    }
    stage->add_instructions()->set_line(2 + 3 * i);
  }
  graph.graph.set_target_index(3);
  outline.graphs.push_back(graph);
  return outline;
}

proto::BuildSummary State(const std::string& state,
                          const std::string& error = "") {
  proto::BuildSummary summary;
  summary.set_state(state);
  summary.set_error(error);
  return summary;
}

// Stage 0 from the cache; 1 and 2 at once on w1 and w2; 3 on w1.
std::vector<proto::BuildEvent> DiamondEvents(bool finish_last) {
  std::vector<proto::BuildEvent> events = {
      Event(Kind::STEP_CACHED, 0, 0, 2, 0),
      Event(Kind::STEP_CACHED, 0, 1, 2, 0),
      Event(Kind::STEP_STARTED, 1, 0, 2, 10, "w1", "FROM base"),
      Event(Kind::STEP_STARTED, 2, 0, 2, 12, "w2", "FROM base"),
      Event(Kind::STEP_DONE, 1, 0, 2, 11, "w1"),
      Event(Kind::STEP_DONE, 2, 0, 2, 13, "w2"),
      Event(Kind::STEP_STARTED, 1, 1, 2, 11, "w1", "RUN sleep 1"),
      Event(Kind::STEP_STARTED, 2, 1, 2, 13, "w2", "RUN sleep 1"),
      Event(Kind::STEP_DONE, 1, 1, 2, 1011, "w1"),
      Event(Kind::STEP_DONE, 2, 1, 2, 1013, "w2"),
      Event(Kind::STEP_STARTED, 3, 0, 2, 1020, "w1", "FROM base"),
      Event(Kind::STEP_DONE, 3, 0, 2, 1021, "w1"),
      Event(Kind::STEP_STARTED, 3, 1, 2, 1021, "w1", "COPY --from=left"),
  };
  if (finish_last)
    events.push_back(Event(Kind::STEP_DONE, 3, 1, 2, 1030, "w1"));
  return events;
}

TEST(BuildProgressTest, ADiamondShowsEachStageAndOneBarPerJob) {
  BuildProgress progress =
      TraceProgress(State("running"), Diamond(), DiamondEvents(false));
  EXPECT_EQ(progress.stages.at({"", 0}).state, "cached");
  EXPECT_EQ(progress.stages.at({"", 1}).state, "done");
  EXPECT_EQ(progress.stages.at({"", 2}).state, "done");
  EXPECT_EQ(progress.stages.at({"", 3}).state, "running");
  EXPECT_EQ(progress.stages.at({"", 1}).worker, "w1");
  EXPECT_EQ(progress.stages.at({"", 2}).worker, "w2");
  ASSERT_EQ(progress.jobs.size(), 3u);  // the cached stage ran nowhere
  EXPECT_EQ(progress.jobs[0].stage, 1);
  EXPECT_EQ(progress.jobs[0].start_ms, kT0 + 10);
  EXPECT_EQ(progress.jobs[0].end_ms, kT0 + 1011);
  EXPECT_EQ(progress.jobs[0].state, "done");
  ASSERT_EQ(progress.jobs[0].steps.size(), 2u);
  EXPECT_EQ(progress.jobs[0].steps[1].text, "RUN sleep 1");
  EXPECT_EQ(progress.jobs[1].worker, "w2");
  EXPECT_EQ(progress.jobs[2].stage, 3);
  EXPECT_EQ(progress.jobs[2].state, "running");
  EXPECT_EQ(progress.jobs[2].end_ms, 0);
  EXPECT_FALSE(progress.failure.has_value());

  progress = TraceProgress(State("succeeded"), Diamond(), DiamondEvents(true));
  EXPECT_EQ(progress.stages.at({"", 3}).state, "done");
  EXPECT_EQ(progress.jobs[2].end_ms, kT0 + 1030);
  EXPECT_EQ(progress.lanes.at("w1"), 1);  // its jobs did not overlap
}

TEST(BuildProgressTest, OverlappingJobsOfOneWorkerTakeTwoLanes) {
  std::vector<proto::BuildEvent> events = {
      Event(Kind::STEP_STARTED, 1, 0, 1, 0, "w1"),
      Event(Kind::STEP_STARTED, 2, 0, 1, 5, "w1"),
      Event(Kind::STEP_DONE, 1, 0, 1, 100, "w1"),
      Event(Kind::STEP_STARTED, 3, 0, 1, 150, "w1"),
      Event(Kind::STEP_DONE, 2, 0, 1, 200, "w1"),
      Event(Kind::STEP_DONE, 3, 0, 1, 300, "w1"),
  };
  BuildProgress progress = TraceProgress(State("running"), Diamond(), events);
  ASSERT_EQ(progress.jobs.size(), 3u);
  EXPECT_EQ(progress.jobs[0].lane, 0);
  EXPECT_EQ(progress.jobs[1].lane, 1);
  EXPECT_EQ(progress.jobs[2].lane, 0);  // lane 0 was free again at 150
  EXPECT_EQ(progress.lanes.at("w1"), 2);
}

TEST(BuildProgressTest, AFailedStepMarksItsDockerfileLine) {
  std::vector<proto::BuildEvent> events = {
      Event(Kind::STEP_STARTED, 1, 0, 2, 0, "w1"),
      Event(Kind::STEP_DONE, 1, 0, 2, 1, "w1"),
      Event(Kind::STEP_STARTED, 1, 1, 2, 1, "w1", "RUN false"),
      Event(Kind::STEP_ERROR, 1, 1, 2, 5, "w1", "exit code 1"),
  };
  const std::string error = "stage s1, step 2/2 (RUN false): exit code: 1";
  BuildProgress progress =
      TraceProgress(State("failed", error), Diamond(), events);
  EXPECT_EQ(progress.stages.at({"", 1}).state, "failed");
  EXPECT_EQ(progress.stages.at({"", 3}).state, "cancelled");
  ASSERT_TRUE(progress.failure.has_value());
  EXPECT_EQ(progress.failure->stage, 1);
  EXPECT_EQ(progress.failure->instruction, 1);
  EXPECT_EQ(progress.failure->line, 5);  // stage 1's second instruction
  EXPECT_EQ(progress.failure->message, error);
  EXPECT_EQ(progress.jobs[0].state, "failed");
}

TEST(BuildProgressTest, ADockerfileErrorNamesItsLine) {
  scheduler::BuildOutline outline;
  outline.dockerfile_name = "web.Dockerfile";
  BuildProgress progress = TraceProgress(
      State("failed", "web.Dockerfile:7: unknown instruction: RUNN"), outline,
      {});
  ASSERT_TRUE(progress.failure.has_value());
  EXPECT_EQ(progress.failure->line, 7);
  EXPECT_EQ(LineOfError("Dockerfile", "no line here"), 0);
  EXPECT_EQ(LineOfError("Dockerfile", "Dockerfile: target x not found"), 0);
}

TEST(BuildProgressTest, ACancelledBuildLeavesItsJobsCancelled) {
  std::vector<proto::BuildEvent> events = {
      Event(Kind::STEP_STARTED, 1, 0, 2, 0, "w1"),
      Event(Kind::STEP_DONE, 1, 0, 2, 1, "w1"),
      Event(Kind::STEP_STARTED, 1, 1, 2, 1, "w1", "RUN sleep 100"),
  };
  BuildProgress progress = TraceProgress(State("cancelled"), Diamond(), events);
  EXPECT_EQ(progress.stages.at({"", 1}).state, "cancelled");
  EXPECT_EQ(progress.stages.at({"", 0}).state, "cancelled");
  ASSERT_EQ(progress.jobs.size(), 1u);
  EXPECT_EQ(progress.jobs[0].state, "cancelled");
  EXPECT_GT(progress.jobs[0].end_ms, 0);
}

TEST(BuildProgressTest, AStageRetriedElsewhereIsTwoJobs) {
  std::vector<proto::BuildEvent> events = {
      Event(Kind::STEP_STARTED, 1, 0, 1, 0, "w1"),
      Event(Kind::STEP_STARTED, 1, 0, 1, 500, "w2"),
      Event(Kind::STEP_DONE, 1, 0, 1, 600, "w2"),
  };
  BuildProgress progress = TraceProgress(State("running"), Diamond(), events);
  ASSERT_EQ(progress.jobs.size(), 2u);
  EXPECT_EQ(progress.jobs[0].worker, "w1");
  EXPECT_EQ(progress.jobs[0].state, "cancelled");  // its worker was lost
  EXPECT_EQ(progress.jobs[1].state, "done");
}

}  // namespace
}  // namespace farm::dashboard
