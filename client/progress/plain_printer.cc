#include "client/progress/plain_printer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/progress/text_format.h"

namespace farm::client::progress {

PlainPrinter::PlainPrinter(std::ostream& out, const PrinterOptions& options)
    : out_(out), options_(options) {}

void PlainPrinter::BeginLine(int number) {
  if (last_number_ != -1 && last_number_ != number) out_ << "\n";
  last_number_ = number;
}

void PlainPrinter::PrintHeader(const StepState& step) {
  BeginLine(step.number);
  out_ << "#" << step.number << " " << step.label;
  if (options_.show_workers && !step.worker.empty()) {
    out_ << " (worker " << step.worker << ")";
    worker_shown_.insert(step.number);
  }
  out_ << "\n";
}

std::string PlainPrinter::Elapsed(const StepState& step,
                                  const proto::BuildEvent& event) {
  absl::Duration d;
  if (step.started_event_nanos > 0 && event.timestamp_unix_nanos() > 0) {
    d = absl::Nanoseconds(event.timestamp_unix_nanos() -
                          step.started_event_nanos);
  } else {
    d = options_.clock->Now() - step.started;
  }
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  return absl::StrFormat("%.3f", absl::ToDoubleSeconds(d));
}

void PlainPrinter::OnAccepted(const std::string& build_id) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  BeginLine(0);
  out_ << "#0 build " << build_id << "\n" << std::flush;
}

void PlainPrinter::OnDashboard(const std::string& url) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  BeginLine(0);
  out_ << "#0 view it at " << url << "\n" << std::flush;
}

void PlainPrinter::OnEvent(const proto::BuildEvent& event) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  bool created = false;
  StepState* step = tracker_.Apply(event, options_.clock->Now(), &created);
  const bool warning = event.kind() == proto::BuildEvent::WARNING;
  if (step == nullptr) {
    for (const std::string& line : SplitLogLines(event.text())) {
      BeginLine(0);
      out_ << (warning ? "WARNING: " : "") << line << "\n";
    }
    out_ << std::flush;
    return;
  }
  if (created) PrintHeader(*step);
  const std::string prefix = absl::StrCat("#", step->number, " ");
  switch (event.kind()) {
    case proto::BuildEvent::STEP_STARTED:
      break;
    case proto::BuildEvent::STEP_CACHED:
      BeginLine(step->number);
      out_ << prefix << "CACHED\n";
      break;
    case proto::BuildEvent::STEP_DONE:
      BeginLine(step->number);
      out_ << prefix << "DONE " << FormatSeconds(step->duration);
      if (options_.show_workers && !step->worker.empty() &&
          worker_shown_.insert(step->number).second) {
        out_ << " (worker " << step->worker << ")";
      }
      out_ << "\n";
      break;
    case proto::BuildEvent::STEP_ERROR: {
      bool first = true;
      for (const std::string& line : SplitLogLines(event.text())) {
        BeginLine(step->number);
        out_ << prefix << (first ? "ERROR: " : "") << line << "\n";
        first = false;
      }
      break;
    }
    case proto::BuildEvent::STEP_LOG: {
      std::string elapsed = Elapsed(*step, event);
      for (const std::string& line : SplitLogLines(event.text())) {
        BeginLine(step->number);
        out_ << prefix << elapsed << " " << line << "\n";
      }
      break;
    }
    default:  // INFO, WARNING about a step
      for (const std::string& line : SplitLogLines(event.text())) {
        BeginLine(step->number);
        out_ << prefix << (warning ? "WARNING: " : "") << line << "\n";
      }
      break;
  }
  out_ << std::flush;
}

void PlainPrinter::OnResult(const proto::BuildResult& result) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  for (const std::string& warning : result.warnings()) {
    BeginLine(0);
    out_ << "WARNING: " << warning << "\n";
  }
  if (!result.ok()) {
    BeginLine(-2);  // always set off from what came before
    out_ << "ERROR: " << result.error() << "\n" << std::flush;
    return;
  }
  const int number = tracker_.next_number();
  const std::string prefix = absl::StrCat("#", number, " ");
  BeginLine(number);
  out_ << prefix << "exporting to image\n";
  if (!result.image_id().empty()) {
    out_ << prefix << "writing image " << result.image_id() << " done\n";
  }
  for (const std::string& tag : result.tags()) {
    out_ << prefix << "naming to " << tag << " done\n";
  }
  if (options_.show_workers) {
    out_ << prefix
         << "context uploaded: " << FormatBytes(result.uploaded_bytes())
         << ", stage jobs dispatched: " << result.jobs_dispatched() << "\n";
  }
  out_ << std::flush;
}

}  // namespace farm::client::progress
