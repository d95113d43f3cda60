#include "client/progress/client_steps.h"

namespace farm::client::progress {

ClientSteps::Step::Step(ClientSteps* owner, int64_t step, std::string name)
    : owner_(owner),
      step_(step),
      name_(std::move(name)),
      started_(owner->clock_->Now()) {}

proto::BuildEvent ClientSteps::Step::Event(proto::BuildEvent::Kind kind,
                                           const std::string& text) const {
  proto::BuildEvent event;
  event.set_kind(kind);
  event.set_step(step_);
  event.set_stage_name("internal");
  event.set_text(text);
  event.set_timestamp_unix_nanos(absl::ToUnixNanos(owner_->clock_->Now()));
  return event;
}

ClientSteps::Step ClientSteps::Start(const std::string& name) {
  Step step(this, next_.fetch_sub(1), name);
  proto::BuildEvent event = step.Event(proto::BuildEvent::STEP_STARTED, name);
  event.set_timestamp_unix_nanos(absl::ToUnixNanos(step.started_));
  printer_->OnEvent(event);
  return step;
}

void ClientSteps::Step::Log(const std::string& text) {
  if (finished_) return;
  owner_->printer_->OnEvent(Event(proto::BuildEvent::INFO, text));
}

void ClientSteps::Step::Done() {
  if (finished_) return;
  finished_ = true;
  proto::BuildEvent event = Event(proto::BuildEvent::STEP_DONE, "");
  event.set_duration_nanos(
      absl::ToInt64Nanoseconds(owner_->clock_->Now() - started_));
  owner_->printer_->OnEvent(event);
}

void ClientSteps::Step::Fail(const std::string& message) {
  if (finished_) return;
  finished_ = true;
  proto::BuildEvent event = Event(proto::BuildEvent::STEP_ERROR, message);
  event.set_duration_nanos(
      absl::ToInt64Nanoseconds(owner_->clock_->Now() - started_));
  owner_->printer_->OnEvent(event);
}

}  // namespace farm::client::progress
