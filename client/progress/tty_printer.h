// TtyPrinter: a live view of the build for a terminal, redrawn in place
// with ANSI cursor movement, like BuildKit's tty output: running steps
// with ticking timers and their last log lines, finished steps collapsed
// to one row, and the failing step's output repeated after the build.
#ifndef FARM_CLIENT_PROGRESS_TTY_PRINTER_H_
#define FARM_CLIENT_PROGRESS_TTY_PRINTER_H_

#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/progress/printer_options.h"
#include "client/progress/progress_printer.h"
#include "client/progress/step_tracker.h"

namespace farm::client::progress {

struct TerminalSize {
  int width = 80;
  int height = 24;
};

// The size of the terminal on `fd`; 80x24 when it has none.
TerminalSize QueryTerminalSize(int fd);

struct TtyOptions {
  PrinterOptions printer;
  // Asked before every redraw, so a resized terminal is followed. Unset:
  // the size of stderr's terminal.
  std::function<TerminalSize()> terminal_size;
  // How often a ticker thread redraws (timers move even when no event
  // comes). Zero: no thread; every event redraws instead.
  absl::Duration tick = absl::Milliseconds(100);
  size_t log_rows = 6;  // log lines shown under each running step
};

class TtyPrinter : public ProgressPrinter {
 public:
  // Writes to `out` (stderr in the CLI), which must outlive the printer.
  TtyPrinter(std::ostream& out, TtyOptions options);
  // Stops the ticker thread.
  ~TtyPrinter() override;

  void OnAccepted(const std::string& build_id) override;
  // Printed under the final frame, as BuildKit prints its build's link.
  void OnDashboard(const std::string& url) override;
  void OnEvent(const proto::BuildEvent& event) override;
  void OnResult(const proto::BuildResult& result) override;

  // The rows of the frame drawn last, without escape sequences.
  std::vector<std::string> last_frame() const;

 private:
  // Replaces the previous frame with a new one.
  void Draw(bool final, const proto::BuildResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After the final frame: each failed step's last output and the error.
  void PrintFailures(const proto::BuildResult& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TickerLoop();

  std::ostream& out_;
  const TtyOptions options_;
  const absl::Time start_;
  mutable absl::Mutex mu_;
  StepTracker tracker_ ABSL_GUARDED_BY(mu_);
  std::string status_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(mu_);
  std::string dashboard_url_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> frame_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_TTY_PRINTER_H_
