#include "dashboard/build_progress.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace farm::dashboard {

namespace {

using Kind = proto::BuildEvent;
using StageKey = std::pair<std::string, int>;

int64_t Millis(const proto::BuildEvent& event) {
  return event.timestamp_unix_nanos() / 1000000;
}

// Per stage: which instructions ended, and whether one failed.
struct StageSteps {
  std::set<int> ended;
  int count = 0;  // instructions in the stage, FROM included
  bool all_cached = true;
  bool failed = false;
};

const proto::PlannedStage* FindStage(const scheduler::BuildOutline& outline,
                                     const std::string& platform, int index) {
  for (const scheduler::PlatformGraph& graph : outline.graphs) {
    if (graph.platform != platform) continue;
    for (const proto::PlannedStage& stage : graph.graph.stages()) {
      if (stage.index() == index) return &stage;
    }
  }
  return nullptr;
}

// Puts each job in the first lane of its worker that is free at its start.
void AssignLanes(BuildProgress& progress) {
  std::sort(progress.jobs.begin(), progress.jobs.end(),
            [](const JobSpan& a, const JobSpan& b) {
              return std::tie(a.start_ms, a.worker, a.stage) <
                     std::tie(b.start_ms, b.worker, b.stage);
            });
  std::map<std::string, std::vector<int64_t>> lane_ends;
  for (JobSpan& job : progress.jobs) {
    std::vector<int64_t>& ends = lane_ends[job.worker];
    const int64_t end =
        job.end_ms == 0 ? std::numeric_limits<int64_t>::max() : job.end_ms;
    size_t lane = 0;
    while (lane < ends.size() && ends[lane] > job.start_ms) ++lane;
    if (lane == ends.size()) ends.push_back(0);
    ends[lane] = end;
    job.lane = static_cast<int>(lane);
  }
  for (const auto& [worker, ends] : lane_ends) {
    progress.lanes[worker] = static_cast<int>(ends.size());
  }
}

}  // namespace

int LineOfError(const std::string& dockerfile_name, const std::string& error) {
  const std::string prefix = absl::StrCat(dockerfile_name, ":");
  size_t at = error.find(prefix);
  if (at == std::string::npos) return 0;
  size_t digits = at + prefix.size();
  size_t end = digits;
  while (end < error.size() && error[end] >= '0' && error[end] <= '9') ++end;
  int line = 0;
  if (end == digits ||
      !absl::SimpleAtoi(error.substr(digits, end - digits), &line)) {
    return 0;
  }
  return line;
}

BuildProgress TraceProgress(const proto::BuildSummary& summary,
                            const scheduler::BuildOutline& outline,
                            const std::vector<proto::BuildEvent>& events) {
  BuildProgress progress;
  const bool ended = summary.state() != "running" && !summary.state().empty();
  for (const scheduler::PlatformGraph& graph : outline.graphs) {
    for (const proto::PlannedStage& stage : graph.graph.stages()) {
      progress.stages[{graph.platform, stage.index()}];
    }
  }
  std::map<StageKey, StageSteps> steps;
  // Jobs by (platform, stage, worker): a stage retried elsewhere is two.
  std::map<std::tuple<std::string, int, std::string>, JobSpan> jobs;
  for (const proto::BuildEvent& event : events) {
    if (event.kind() == Kind::WARNING || event.kind() == Kind::INFO) continue;
    const StageKey key{event.platform(), event.stage_index()};
    StageProgress& stage = progress.stages[key];
    StageSteps& stage_steps = steps[key];
    stage_steps.count = std::max(stage_steps.count, event.instruction_count());
    const int64_t at = Millis(event);
    if (stage.started_ms == 0) stage.started_ms = at;
    if (!event.worker().empty()) stage.worker = event.worker();
    const bool ends_step = event.kind() == Kind::STEP_DONE ||
                           event.kind() == Kind::STEP_CACHED ||
                           event.kind() == Kind::STEP_ERROR;
    if (ends_step) {
      stage_steps.ended.insert(event.instruction_index());
      stage.finished_ms = std::max(stage.finished_ms, at);
      if (event.kind() != Kind::STEP_CACHED) stage_steps.all_cached = false;
    }
    if (event.kind() == Kind::STEP_ERROR) {
      stage_steps.failed = true;
      if (!progress.failure.has_value()) {
        Failure failure;
        failure.platform = event.platform();
        failure.stage = event.stage_index();
        failure.instruction = event.instruction_index();
        failure.message = event.text();
        const proto::PlannedStage* planned =
            FindStage(outline, event.platform(), event.stage_index());
        // Step 0 is the FROM; step i the stage's instruction i - 1.
        const int step = event.instruction_index();
        if (planned != nullptr && step == 0) {
          failure.line = planned->from_line();
        } else if (planned != nullptr && step <= planned->instructions_size()) {
          failure.line = planned->instructions(step - 1).line();
        }
        progress.failure = failure;
      }
    }
    if (event.worker().empty()) continue;  // cached by the scheduler
    JobSpan& job =
        jobs[{event.platform(), event.stage_index(), event.worker()}];
    if (job.steps.empty() && job.start_ms == 0) {
      job.platform = event.platform();
      job.stage = event.stage_index();
      job.stage_name = event.stage_name();
      job.worker = event.worker();
      job.start_ms = at;
    }
    auto step = std::find_if(
        job.steps.begin(), job.steps.end(), [&](const StepSpan& span) {
          return span.instruction == event.instruction_index();
        });
    if (step == job.steps.end()) {
      StepSpan span;
      span.instruction = event.instruction_index();
      span.start_ms = at;
      job.steps.push_back(span);
      step = job.steps.end() - 1;
    }
    if (event.kind() == Kind::STEP_STARTED) step->text = event.text();
    if (ends_step) {
      step->end_ms = at;
      step->state = event.kind() == Kind::STEP_DONE     ? "done"
                    : event.kind() == Kind::STEP_CACHED ? "cached"
                                                        : "failed";
      job.end_ms = std::max(job.end_ms, at);
      if (event.kind() == Kind::STEP_ERROR) job.state = "failed";
    }
  }
  for (auto& [key, stage] : progress.stages) {
    auto it = steps.find(key);
    if (it == steps.end()) {
      if (ended) stage.state = "cancelled";
      continue;
    }
    const StageSteps& s = it->second;
    const bool complete =
        s.count > 0 && static_cast<int>(s.ended.size()) >= s.count;
    if (s.failed) {
      stage.state = "failed";
    } else if (complete || (ended && summary.state() == "succeeded")) {
      stage.state = s.all_cached ? "cached" : "done";
    } else {
      stage.state = ended ? "cancelled" : "running";
    }
  }
  for (auto& [key, job] : jobs) {
    const StageProgress& stage =
        progress.stages[{std::get<0>(key), std::get<1>(key)}];
    const bool steps_open =
        std::any_of(job.steps.begin(), job.steps.end(),
                    [](const StepSpan& step) { return step.end_ms == 0; });
    if (job.state == "failed") {
      // Stays failed.
    } else if (stage.state == "done" || stage.state == "cached") {
      job.state =
          steps_open && stage.worker != job.worker ? "cancelled" : "done";
    } else if (ended || stage.worker != job.worker) {
      // The build ended, or the stage moved to another worker.
      job.state = "cancelled";
    }
    if (job.state == "running") {
      job.end_ms = 0;
    } else if (job.end_ms == 0) {
      job.end_ms = job.start_ms;
    }
    progress.jobs.push_back(std::move(job));
  }
  AssignLanes(progress);
  if (!progress.failure.has_value() && summary.state() == "failed") {
    Failure failure;
    failure.message = summary.error();
    failure.line = LineOfError(outline.dockerfile_name, summary.error());
    progress.failure = failure;
  } else if (progress.failure.has_value() && !summary.error().empty()) {
    // The build's own error says it best (it names the stage and step).
    progress.failure->message = summary.error();
  }
  return progress;
}

}  // namespace farm::dashboard
