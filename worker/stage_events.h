// Progress of one stage job as BuildEvents: STEP_STARTED, STEP_CACHED,
// STEP_LOG, STEP_DONE and STEP_ERROR, each naming the stage and the
// instruction (0 is FROM) the way the scheduler relays them to clients.
#ifndef FARM_WORKER_STAGE_EVENTS_H_
#define FARM_WORKER_STAGE_EVENTS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "proto/build.pb.h"
#include "worker/executor/output.h"

namespace farm::worker {

// Receives a job's events in order. Called from the thread running the job.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(const proto::BuildEvent& event) = 0;
};

// Fills in the stage's part of every event. Not thread-safe.
class StepReporter {
 public:
  StepReporter(EventSink* sink, const Clock* clock, int stage_index,
               std::string stage_name, int instruction_count)
      : sink_(sink),
        clock_(clock),
        stage_index_(stage_index),
        stage_name_(std::move(stage_name)),
        instruction_count_(instruction_count) {}

  void Started(int instruction, absl::string_view text);
  void Cached(int instruction, absl::string_view text);
  void Log(int instruction, executor::Stream stream, absl::string_view line);
  void Done(int instruction, absl::Duration duration);
  void Error(int instruction, absl::string_view message,
             absl::Duration duration);

 private:
  proto::BuildEvent Event(proto::BuildEvent::Kind kind, int instruction,
                          absl::string_view text) const;

  EventSink* sink_;
  const Clock* clock_;
  int stage_index_;
  std::string stage_name_;
  int instruction_count_;
};

// Passes a RUN's output on as STEP_LOG events of one instruction.
class StepLogSink : public executor::OutputSink {
 public:
  StepLogSink(StepReporter* reporter, int instruction)
      : reporter_(reporter), instruction_(instruction) {}
  void Line(executor::Stream stream, absl::string_view line) override {
    reporter_->Log(instruction_, stream, line);
  }

 private:
  StepReporter* reporter_;
  int instruction_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_STAGE_EVENTS_H_
