// ClientSteps: the work the client does itself (reading the Dockerfile,
// walking the context, uploading blobs) shown as steps among the farm's,
// as BuildKit shows its "[internal] ..." steps. Each step becomes events
// with a negative step number and stage_name "internal".
#ifndef FARM_CLIENT_PROGRESS_CLIENT_STEPS_H_
#define FARM_CLIENT_PROGRESS_CLIENT_STEPS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "client/progress/progress_printer.h"
#include "common/clock.h"

namespace farm::client::progress {

class ClientSteps {
 public:
  // One step. Finishing it twice, or logging after, is ignored. Used by
  // one thread at a time.
  class Step {
   public:
    Step(Step&&) = default;
    Step& operator=(Step&&) = default;
    // A line shown with the step ("#N text" in plain output).
    void Log(const std::string& text);
    void Done();
    void Fail(const std::string& message);

   private:
    friend class ClientSteps;
    Step(ClientSteps* owner, int64_t step, std::string name);
    proto::BuildEvent Event(proto::BuildEvent::Kind kind,
                            const std::string& text) const;

    ClientSteps* owner_;
    int64_t step_;
    std::string name_;
    absl::Time started_;
    bool finished_ = false;
  };

  // Reports to `printer` with timestamps from `clock`; both not owned.
  // Thread-safe: steps may start on different threads.
  ClientSteps(ProgressPrinter* printer, const Clock* clock)
      : printer_(printer), clock_(clock) {}

  // Shows "[internal] <name>" as started.
  Step Start(const std::string& name);

 private:
  ProgressPrinter* printer_;
  const Clock* clock_;
  std::atomic<int64_t> next_{-1};
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_CLIENT_STEPS_H_
