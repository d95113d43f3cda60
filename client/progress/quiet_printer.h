// QuietPrinter: `farm build -q`. Nothing while the build runs; then the
// image id on stdout, or the error on stderr, as `docker build -q` does.
#ifndef FARM_CLIENT_PROGRESS_QUIET_PRINTER_H_
#define FARM_CLIENT_PROGRESS_QUIET_PRINTER_H_

#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/progress/progress_printer.h"

namespace farm::client::progress {

class QuietPrinter : public ProgressPrinter {
 public:
  // Both streams must outlive the printer.
  QuietPrinter(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  void OnAccepted(const std::string& build_id) override {}
  void OnEvent(const proto::BuildEvent& event) override {}
  void OnResult(const proto::BuildResult& result) override;

 private:
  absl::Mutex mu_;
  std::ostream& out_;
  std::ostream& err_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_QUIET_PRINTER_H_
