// RenderFrame: the picture the tty printer redraws, as plain rows of text
// that fit the terminal: a header with the build's clock, one row per step
// (running ones with live timers and their last log lines), and, once the
// build is over, every step collapsed to one row. Pure, so tests can check
// frames exactly.
#ifndef FARM_CLIENT_PROGRESS_TTY_FRAME_H_
#define FARM_CLIENT_PROGRESS_TTY_FRAME_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/progress/step_tracker.h"
#include "proto/build.pb.h"

namespace farm::client::progress {

struct FrameInput {
  const std::vector<std::unique_ptr<StepState>>* steps = nullptr;
  absl::Time now;          // for running steps' timers
  absl::Duration elapsed;  // since the build started
  int width = 80;
  int height = 24;
  // The build is over: no logs, no height limit, and for a successful
  // `result` the export rows (image id, tags).
  bool final = false;
  const proto::BuildResult* result = nullptr;
  std::string status;  // the latest message about no step; "" for none
  bool show_workers = false;
  size_t log_rows = 6;  // log lines shown under each running step
};

// Every row is at most width - 1 columns (the last column stays free so
// the terminal never wraps). Unless `final`, there are at most height - 1
// rows: log lines are trimmed first, then the oldest finished steps, then
// the oldest running ones, and a row counts what is hidden.
std::vector<std::string> RenderFrame(const FrameInput& in);

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_TTY_FRAME_H_
