// BuildProgress: a build's progress events folded into what the build page
// draws: the state of every stage, the stage jobs that ran on workers (one
// bar each on the timeline, placed in a lane of their worker so that no two
// bars of a lane overlap), and where the build failed. Pure: events in,
// picture out.
#ifndef FARM_DASHBOARD_BUILD_PROGRESS_H_
#define FARM_DASHBOARD_BUILD_PROGRESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "proto/build.pb.h"
#include "scheduler/build_outline.h"

namespace farm::dashboard {

// "waiting", "running", "cached", "done", "failed", "cancelled".
struct StageProgress {
  std::string state = "waiting";
  std::string worker;       // the last worker that ran it
  int64_t started_ms = 0;   // its first event
  int64_t finished_ms = 0;  // when its last step ended
};

struct StepSpan {
  int instruction = 0;
  std::string text;
  int64_t start_ms = 0;
  int64_t end_ms = 0;             // 0 while it runs
  std::string state = "running";  // running, done, failed, cached
};

// One stage job: a stage's steps on one worker.
struct JobSpan {
  std::string platform;
  int stage = 0;
  std::string stage_name;
  std::string worker;
  int lane = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;             // 0 while it runs
  std::string state = "running";  // running, done, failed, cancelled
  std::vector<StepSpan> steps;
};

struct Failure {
  std::string platform;
  int stage = -1;
  int instruction = -1;
  int line = 0;  // 0: no line to mark
  std::string message;
};

struct BuildProgress {
  // By (platform, stage index).
  std::map<std::pair<std::string, int>, StageProgress> stages;
  std::vector<JobSpan> jobs;         // by start
  std::map<std::string, int> lanes;  // worker → lanes used
  std::optional<Failure> failure;
};

// `summary.state` says whether the build has ended ("running" otherwise);
// stages left unfinished by an ended build are "cancelled".
BuildProgress TraceProgress(const proto::BuildSummary& summary,
                            const scheduler::BuildOutline& outline,
                            const std::vector<proto::BuildEvent>& events);

// The line that a Dockerfile error names ("Dockerfile:7: ..." as the
// parser and planner write them), or 0.
int LineOfError(const std::string& dockerfile_name, const std::string& error);

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_BUILD_PROGRESS_H_
