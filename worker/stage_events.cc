#include "worker/stage_events.h"

namespace farm::worker {

proto::BuildEvent StepReporter::Event(proto::BuildEvent::Kind kind,
                                      int instruction,
                                      absl::string_view text) const {
  proto::BuildEvent event;
  event.set_kind(kind);
  event.set_stage_index(stage_index_);
  event.set_stage_name(stage_name_);
  event.set_instruction_index(instruction);
  event.set_instruction_count(instruction_count_);
  event.set_text(std::string(text));
  event.set_timestamp_unix_nanos(absl::ToUnixNanos(clock_->Now()));
  return event;
}

void StepReporter::Started(int instruction, absl::string_view text) {
  sink_->Emit(Event(proto::BuildEvent::STEP_STARTED, instruction, text));
}

void StepReporter::Cached(int instruction, absl::string_view text) {
  sink_->Emit(Event(proto::BuildEvent::STEP_CACHED, instruction, text));
}

void StepReporter::Log(int instruction, executor::Stream stream,
                       absl::string_view line) {
  proto::BuildEvent event =
      Event(proto::BuildEvent::STEP_LOG, instruction, line);
  event.set_stream(stream == executor::Stream::kStdout ? 1 : 2);
  sink_->Emit(event);
}

void StepReporter::Done(int instruction, absl::Duration duration) {
  proto::BuildEvent event =
      Event(proto::BuildEvent::STEP_DONE, instruction, "");
  event.set_duration_nanos(absl::ToInt64Nanoseconds(duration));
  sink_->Emit(event);
}

void StepReporter::Error(int instruction, absl::string_view message,
                         absl::Duration duration) {
  proto::BuildEvent event =
      Event(proto::BuildEvent::STEP_ERROR, instruction, message);
  event.set_duration_nanos(absl::ToInt64Nanoseconds(duration));
  sink_->Emit(event);
}

}  // namespace farm::worker
