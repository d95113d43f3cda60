#include "client/progress/quiet_printer.h"

namespace farm::client::progress {

void QuietPrinter::OnResult(const proto::BuildResult& result) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  if (result.ok()) {
    out_ << result.image_id() << "\n" << std::flush;
  } else {
    err_ << "ERROR: " << result.error() << "\n" << std::flush;
  }
}

}  // namespace farm::client::progress
