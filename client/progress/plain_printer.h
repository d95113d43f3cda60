// PlainPrinter: BuildKit's plain progress format, one line per thing that
// happens, for logs and CI:
//   #3 [build 2/5] RUN make (worker w-1)
//   #3 0.512 cc -c main.c
//   #3 DONE 1.4s
#ifndef FARM_CLIENT_PROGRESS_PLAIN_PRINTER_H_
#define FARM_CLIENT_PROGRESS_PLAIN_PRINTER_H_

#include <ostream>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/progress/printer_options.h"
#include "client/progress/progress_printer.h"
#include "client/progress/step_tracker.h"

namespace farm::client::progress {

class PlainPrinter : public ProgressPrinter {
 public:
  // Writes to `out` (stderr in the CLI), which must outlive the printer.
  PlainPrinter(std::ostream& out, const PrinterOptions& options);

  void OnAccepted(const std::string& build_id) override;
  void OnDashboard(const std::string& url) override;
  void OnEvent(const proto::BuildEvent& event) override;
  void OnResult(const proto::BuildResult& result) override;

 private:
  // Starts a line about step `number` (0: no step), with a blank line
  // first when the previous line was about another step.
  void BeginLine(int number) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PrintHeader(const StepState& step) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // "0.512": seconds since the step started, by event timestamps when
  // there are any.
  std::string Elapsed(const StepState& step, const proto::BuildEvent& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::ostream& out_;
  const PrinterOptions options_;
  absl::Mutex mu_;
  StepTracker tracker_ ABSL_GUARDED_BY(mu_){0};
  int last_number_ ABSL_GUARDED_BY(mu_) = -1;  // -1: nothing printed yet
  std::set<int> worker_shown_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_PLAIN_PRINTER_H_
