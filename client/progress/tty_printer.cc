#include "client/progress/tty_printer.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "client/progress/text_format.h"
#include "client/progress/tty_frame.h"

namespace farm::client::progress {

namespace {

// Failed steps show this many of their last log lines after the build.
constexpr size_t kFailureLogLines = 20;

}  // namespace

TerminalSize QueryTerminalSize(int fd) {
  TerminalSize size;
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    size.width = ws.ws_col;
    size.height = ws.ws_row;
  }
  return size;
}

TtyPrinter::TtyPrinter(std::ostream& out, TtyOptions options)
    : out_(out),
      options_(std::move(options)),
      start_(options_.printer.clock->Now()),
      tracker_(std::max(options_.log_rows, kFailureLogLines)) {
  if (options_.tick > absl::ZeroDuration()) {
    ticker_ = std::thread([this] { TickerLoop(); });
  }
}

TtyPrinter::~TtyPrinter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (ticker_.joinable()) ticker_.join();
}

void TtyPrinter::TickerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.tick);
    if (stop_ || finished_) return;
    Draw(false, nullptr);
  }
}

void TtyPrinter::Draw(bool final, const proto::BuildResult* result) {
  TerminalSize size = options_.terminal_size ? options_.terminal_size()
                                             : QueryTerminalSize(STDERR_FILENO);
  FrameInput in;
  in.steps = &tracker_.steps();
  in.now = options_.printer.clock->Now();
  in.elapsed = in.now - start_;
  in.width = size.width;
  in.height = size.height;
  in.final = final;
  in.result = result;
  in.status = status_;
  in.show_workers = options_.printer.show_workers;
  in.log_rows = options_.log_rows;
  std::vector<std::string> rows = RenderFrame(in);

  std::string text;
  // Back to the first row of the previous frame, then overwrite each row
  // and clear what is left of it.
  if (!frame_.empty()) absl::StrAppend(&text, "\r\x1b[", frame_.size(), "A");
  for (const std::string& row : rows) absl::StrAppend(&text, row, "\x1b[K\n");
  if (rows.size() < frame_.size()) text += "\x1b[J";
  out_ << text << std::flush;
  frame_ = std::move(rows);
}

void TtyPrinter::PrintFailures(const proto::BuildResult& result) {
  for (const auto& step : tracker_.steps()) {
    if (step->status != StepState::Status::kError) continue;
    out_ << "------\n > " << SanitizeForTerminal(step->label) << ":\n";
    size_t first = step->logs.size() > kFailureLogLines
                       ? step->logs.size() - kFailureLogLines
                       : 0;
    for (size_t i = first; i < step->logs.size(); ++i) {
      out_ << SanitizeForTerminal(step->logs[i]) << "\n";
    }
    out_ << "------\n";
  }
  out_ << "ERROR: " << result.error() << "\n";
}

void TtyPrinter::OnAccepted(const std::string& build_id) {}

void TtyPrinter::OnDashboard(const std::string& url) {
  absl::MutexLock lock(&mu_);
  dashboard_url_ = url;
}

void TtyPrinter::OnEvent(const proto::BuildEvent& event) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  bool created = false;
  if (tracker_.Apply(event, options_.printer.clock->Now(), &created) ==
      nullptr) {
    std::vector<std::string> lines = SplitLogLines(event.text());
    if (event.kind() == proto::BuildEvent::WARNING) {
      warnings_.insert(warnings_.end(), lines.begin(), lines.end());
    } else if (!lines.empty()) {
      status_ = lines.back();
    }
  }
  if (!ticker_.joinable()) Draw(false, nullptr);
}

void TtyPrinter::OnResult(const proto::BuildResult& result) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  stop_ = true;
  Draw(true, &result);
  if (!dashboard_url_.empty())
    out_ << "View build details: " << dashboard_url_ << "\n";
  for (const std::string& w : warnings_) out_ << "WARNING: " << w << "\n";
  for (const std::string& w : result.warnings()) {
    out_ << "WARNING: " << w << "\n";
  }
  if (!result.ok()) PrintFailures(result);
  out_ << std::flush;
}

std::vector<std::string> TtyPrinter::last_frame() const {
  absl::MutexLock lock(&mu_);
  return frame_;
}

}  // namespace farm::client::progress
