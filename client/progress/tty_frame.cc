#include "client/progress/tty_frame.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/progress/text_format.h"

namespace farm::client::progress {

namespace {

// Narrower than this, a row drops its right-aligned timer.
constexpr int kMinLabelColumns = 12;

// `left` and `right` on one row of `usable` columns, `right` flush right;
// just `left`, cut, when both do not fit.
std::string Fit(const std::string& left, const std::string& right, int usable) {
  int right_width = TerminalWidth(right);
  if (usable < right_width + 1 + kMinLabelColumns) {
    return TruncateToWidth(left, usable);
  }
  int left_width = usable - right_width - 1;
  std::string cut = TruncateToWidth(left, left_width);
  int pad = left_width - TerminalWidth(cut) + 1;
  return absl::StrCat(cut, std::string(pad, ' '), right);
}

std::string StepRow(const StepState& step, const FrameInput& in, int usable) {
  std::string left = " => ";
  if (step.status == StepState::Status::kCached) left += "CACHED ";
  if (step.status == StepState::Status::kError) left += "ERROR ";
  absl::StrAppend(&left, SanitizeForTerminal(step.label));
  if (in.show_workers && !step.worker.empty()) {
    absl::StrAppend(&left, " (worker ", SanitizeForTerminal(step.worker), ")");
  }
  absl::Duration time = step.status == StepState::Status::kRunning
                            ? in.now - step.started
                            : step.duration;
  return Fit(left, FormatSeconds(time), usable);
}

struct Block {
  const StepState* step;
  size_t logs = 0;  // log rows shown
  bool hidden = false;
};

}  // namespace

std::vector<std::string> RenderFrame(const FrameInput& in) {
  const int usable = std::max(in.width - 1, 0);
  std::vector<Block> blocks;
  int finished = 0;
  for (const auto& step : *in.steps) {
    bool running = step->status == StepState::Status::kRunning;
    if (!running) ++finished;
    size_t logs =
        running && !in.final ? std::min(step->logs.size(), in.log_rows) : 0;
    blocks.push_back({step.get(), logs});
  }

  std::vector<std::string> rows;
  std::string header =
      absl::StrCat("[+] Building ", FormatSeconds(in.elapsed), " (", finished,
                   "/", in.steps->size(), ")", in.final ? " FINISHED" : "");
  rows.push_back(TruncateToWidth(header, usable));
  const bool show_status = !in.final && !in.status.empty();

  size_t hidden = 0;
  if (!in.final) {
    const int budget = std::max(in.height - 1, 1) - 1 - (show_status ? 1 : 0);
    auto total = [&] {
      int n = hidden > 0 ? 1 : 0;
      for (const Block& b : blocks) {
        if (!b.hidden) n += 1 + static_cast<int>(b.logs);
      }
      return n;
    };
    // Fewer log rows first, taken from the step that shows the most.
    while (total() > budget) {
      auto most = std::max_element(
          blocks.begin(), blocks.end(),
          [](const Block& a, const Block& b) { return a.logs < b.logs; });
      if (most == blocks.end() || most->logs == 0) break;
      --most->logs;
    }
    // Then hide steps, finished ones before running ones, oldest first.
    for (bool want_running : {false, true}) {
      for (Block& b : blocks) {
        if (total() <= budget) break;
        bool running = b.step->status == StepState::Status::kRunning;
        if (b.hidden || running != want_running) continue;
        b.hidden = true;
        ++hidden;
      }
    }
  }
  if (show_status) {
    rows.push_back(TruncateToWidth(
        absl::StrCat(" ! ", SanitizeForTerminal(in.status)), usable));
  }
  if (hidden > 0) {
    rows.push_back(TruncateToWidth(
        absl::StrCat(" => ... ", hidden, hidden == 1 ? " step" : " steps",
                     " not shown"),
        usable));
  }
  for (const Block& b : blocks) {
    if (b.hidden) continue;
    rows.push_back(StepRow(*b.step, in, usable));
    const auto& logs = b.step->logs;
    for (size_t i = logs.size() - b.logs; i < logs.size(); ++i) {
      rows.push_back(TruncateToWidth(
          absl::StrCat(" => => # ", SanitizeForTerminal(logs[i])), usable));
    }
  }
  if (in.final && in.result != nullptr && in.result->ok()) {
    rows.push_back(TruncateToWidth(" => exporting to image", usable));
    if (!in.result->image_id().empty()) {
      rows.push_back(TruncateToWidth(
          absl::StrCat(" => => writing image ", in.result->image_id()),
          usable));
    }
    for (const std::string& tag : in.result->tags()) {
      rows.push_back(TruncateToWidth(
          absl::StrCat(" => => naming to ", SanitizeForTerminal(tag)), usable));
    }
  }
  // In a frame only a single row fits, the header alone is shown.
  if (!in.final)
    rows.resize(std::min<size_t>(
        rows.size(), static_cast<size_t>(std::max(in.height - 1, 1))));
  return rows;
}

}  // namespace farm::client::progress
