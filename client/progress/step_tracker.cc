#include "client/progress/step_tracker.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/progress/text_format.h"

namespace farm::client::progress {

namespace {

bool IsNumber(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Whether the event's text names the step (rather than being a log line or
// a message about it).
bool TextIsInstruction(const proto::BuildEvent& event) {
  return event.kind() == proto::BuildEvent::STEP_STARTED ||
         event.kind() == proto::BuildEvent::STEP_CACHED;
}

}  // namespace

std::string StepTracker::Label(const proto::BuildEvent& event) {
  std::string text = TextIsInstruction(event) ? event.text() : "";
  std::string prefix;
  if (event.instruction_count() > 0) {
    std::string stage = IsNumber(event.stage_name())
                            ? absl::StrCat("stage-", event.stage_name())
                            : event.stage_name();
    // As BuildKit labels the steps of a build for several platforms.
    if (!event.platform().empty()) {
      stage = absl::StrCat(event.platform(), stage.empty() ? "" : " ", stage);
    }
    prefix = absl::StrCat("[", stage, stage.empty() ? "" : " ",
                          event.instruction_index() + 1, "/",
                          event.instruction_count(), "]");
  } else if (!event.stage_name().empty()) {
    prefix = absl::StrCat("[", event.stage_name(), "]");
  }
  if (prefix.empty()) return text;
  return text.empty() ? prefix : absl::StrCat(prefix, " ", text);
}

StepState* StepTracker::Apply(const proto::BuildEvent& event, absl::Time now,
                              bool* created) {
  *created = false;
  if (event.step() == 0) return nullptr;
  StepState*& slot = by_step_[event.step()];
  if (slot == nullptr) {
    auto step = std::make_unique<StepState>();
    step->number = next_number();
    step->step = event.step();
    step->label = Label(event);
    if (step->label.empty()) step->label = absl::StrCat("step ", event.step());
    step->started = now;
    step->started_event_nanos = event.timestamp_unix_nanos();
    slot = step.get();
    steps_.push_back(std::move(step));
    *created = true;
  }
  StepState* step = slot;
  if (!*created && TextIsInstruction(event) && !event.text().empty()) {
    step->label = Label(event);  // the step was first seen without its text
  }
  if (!event.worker().empty()) step->worker = event.worker();
  auto finish = [&](StepState::Status status) {
    step->status = status;
    if (event.duration_nanos() > 0) {
      step->duration = absl::Nanoseconds(event.duration_nanos());
    } else if (step->started_event_nanos > 0 &&
               event.timestamp_unix_nanos() > step->started_event_nanos) {
      step->duration = absl::Nanoseconds(event.timestamp_unix_nanos() -
                                         step->started_event_nanos);
    } else {
      step->duration = now - step->started;
    }
  };
  switch (event.kind()) {
    case proto::BuildEvent::STEP_STARTED:
      break;
    case proto::BuildEvent::STEP_CACHED:
      step->status = StepState::Status::kCached;
      step->duration = absl::ZeroDuration();
      break;
    case proto::BuildEvent::STEP_DONE:
      finish(StepState::Status::kDone);
      break;
    case proto::BuildEvent::STEP_ERROR:
      finish(StepState::Status::kError);
      step->error = event.text();
      break;
    default:  // STEP_LOG, INFO, WARNING: lines shown with the step
      for (std::string& line : SplitLogLines(event.text())) {
        if (event.kind() == proto::BuildEvent::WARNING) {
          line = absl::StrCat("WARNING: ", line);
        }
        step->logs.push_back(std::move(line));
        if (step->logs.size() > max_logs_) step->logs.pop_front();
      }
      break;
  }
  return step;
}

}  // namespace farm::client::progress
