// ProgressPrinter: how a build's progress reaches the user. The build client
// feeds it the farm's events and the final result; implementations render
// them as BuildKit-style plain text, a live terminal view, or JSON lines.
#ifndef FARM_CLIENT_PROGRESS_PROGRESS_PRINTER_H_
#define FARM_CLIENT_PROGRESS_PROGRESS_PRINTER_H_

#include <string>

#include "proto/build.pb.h"

namespace farm::client::progress {

// Every method may be called from any thread; implementations serialise
// their output. Calls after OnResult are ignored.
class ProgressPrinter {
 public:
  virtual ~ProgressPrinter() = default;

  // The farm accepted the build and named it `build_id`.
  virtual void OnAccepted(const std::string& build_id) = 0;
  // The build's page on the farm's dashboard, when the farm has one; right
  // after OnAccepted.
  virtual void OnDashboard(const std::string& url) {}
  // One event. The farm's events arrive in sequence order, each once. The
  // client's own steps (reading the Dockerfile, walking and uploading the
  // context) arrive as events too: negative step numbers, stage_name
  // "internal", sequence 0 (see ClientSteps).
  virtual void OnEvent(const proto::BuildEvent& event) = 0;
  // The end of the build, successful or not; called once. Errors the client
  // hit itself arrive here too, as a result with ok false.
  virtual void OnResult(const proto::BuildResult& result) = 0;
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_PROGRESS_PRINTER_H_
