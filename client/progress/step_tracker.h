// StepTracker: the state of every step of a build as its events arrive,
// numbered #1, #2... in the order the steps first appear, which is what the
// plain and tty printers show. Not thread-safe; printers lock around it.
#ifndef FARM_CLIENT_PROGRESS_STEP_TRACKER_H_
#define FARM_CLIENT_PROGRESS_STEP_TRACKER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/build.pb.h"

namespace farm::client::progress {

struct StepState {
  enum class Status { kRunning, kCached, kDone, kError };

  int number = 0;     // display number, from 1
  int64_t step = 0;   // the events' step field
  std::string label;  // "[build 2/5] RUN make", "[internal] load ..."
  std::string worker;
  Status status = Status::kRunning;
  absl::Time started;               // client clock at the first event
  int64_t started_event_nanos = 0;  // that event's timestamp, 0 if none
  absl::Duration duration;          // once finished
  std::string error;
  std::deque<std::string> logs;  // the last lines logged, oldest first
};

class StepTracker {
 public:
  // Keeps the last `max_logs` log lines of each step.
  explicit StepTracker(size_t max_logs) : max_logs_(max_logs) {}

  // Applies a step event (one with step != 0) received at `now` and returns
  // the step, creating it on its first event; `*created` says whether it
  // did. Returns null for events about no step.
  StepState* Apply(const proto::BuildEvent& event, absl::Time now,
                   bool* created);

  // Steps in display order.
  const std::vector<std::unique_ptr<StepState>>& steps() const {
    return steps_;
  }
  // The number the next new step would get.
  int next_number() const { return static_cast<int>(steps_.size()) + 1; }

  // "[stage-name i/n] TEXT" for an instruction (a numeric stage name shows
  // as "stage-N", as BuildKit names unnamed stages), "[internal] TEXT" for
  // the client's own steps, and TEXT alone otherwise.
  static std::string Label(const proto::BuildEvent& event);

 private:
  size_t max_logs_;
  std::vector<std::unique_ptr<StepState>> steps_;
  std::map<int64_t, StepState*> by_step_;
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_STEP_TRACKER_H_
