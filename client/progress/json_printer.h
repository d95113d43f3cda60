// JsonPrinter: one JSON object per line for every event and for the
// result, for tools that follow a build. Objects carry "type" ("accepted",
// "event" or "result") and the fields of the proto message that are set.
#ifndef FARM_CLIENT_PROGRESS_JSON_PRINTER_H_
#define FARM_CLIENT_PROGRESS_JSON_PRINTER_H_

#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/progress/progress_printer.h"

namespace farm::client::progress {

class JsonPrinter : public ProgressPrinter {
 public:
  // Writes to `out`, which must outlive the printer.
  explicit JsonPrinter(std::ostream& out) : out_(out) {}

  void OnAccepted(const std::string& build_id) override;
  void OnDashboard(const std::string& url) override;
  // {"type":"event","sequence":7,"kind":"STEP_LOG","step":3,...}. Text that
  // is not valid UTF-8 has the bad bytes replaced by U+FFFD.
  void OnEvent(const proto::BuildEvent& event) override;
  // {"type":"result","ok":true,"image_id":"sha256:...",...}
  void OnResult(const proto::BuildResult& result) override;

 private:
  absl::Mutex mu_;
  std::ostream& out_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_JSON_PRINTER_H_
