// BuildSession's outbox: what it tells its clients (events numbered after
// any takeover's, log lines clipped at their limits, archives and the
// result), and how each attached client, or the dashboard, follows it.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/io.h"
#include "scheduler/build_session.h"

namespace farm::scheduler {

namespace {

// Where to start in the outbox for a reader that has every event up to
// sequence `after`: a reader from before a takeover has none of ours.
size_t OutboxIndex(int64_t after, int64_t base) {
  return after <= base ? 0 : static_cast<size_t>(after - base);
}

std::string HumanLimit(int64_t bytes) {
  return bytes % (1 << 20) == 0 ? absl::StrCat(bytes >> 20, " MiB")
                                : absl::StrCat(bytes, " bytes");
}

}  // namespace

void BuildSession::Send(proto::BuildServerMessage message,
                        std::string output_path) {
  absl::MutexLock lock(&mu_);
  if (message.has_event()) {
    message.mutable_event()->set_sequence(sequence_base_ + outbox_.size() + 1);
  }
  // Memory, not wire bytes: a log line's event costs several times its
  // text.
  outbox_bytes_ += static_cast<int64_t>(message.SpaceUsedLong() +
                                        sizeof(Outgoing) + output_path.size());
  if (!output_path.empty()) spooled_.push_back(output_path);
  outbox_.push_back({std::move(message), std::move(output_path)});
}

void BuildSession::ReleaseOutputs() {
  std::vector<std::string> spooled;
  {
    absl::MutexLock lock(&mu_);
    spooled.swap(spooled_);
  }
  for (const std::string& path : spooled) unlink(path.c_str());
}

void BuildSession::Emit(proto::BuildEvent event, const PlatformBuilds* builds,
                        size_t platform) {
  if (builds != nullptr && builds->several()) {
    event.set_platform(builds->at(platform).platform);
  }
  StepKey key(platform, event.stage_index(), event.instruction_index());
  auto it = step_numbers_.find(key);
  const bool new_step = it == step_numbers_.end();
  if (new_step) {
    it = step_numbers_.emplace(key, step_numbers_.size() + 1).first;
  }
  event.set_step(it->second);
  const bool cached = event.kind() == proto::BuildEvent::STEP_CACHED &&
                      cached_steps_.insert(key).second;
  if (new_step || cached) {
    absl::MutexLock lock(&mu_);
    summary_.set_steps(summary_.steps() + (new_step ? 1 : 0));
    summary_.set_steps_cached(summary_.steps_cached() + (cached ? 1 : 0));
  }
  // Workers name the instruction when a step starts; later events of the
  // step carry it too, so each event stands on its own.
  if (event.kind() == proto::BuildEvent::STEP_LOG) {
    // A log event's text is the line itself, counted against the step's
    // limit: past it, one line says so and the rest is dropped.
    int64_t& bytes = step_log_bytes_[key];
    const int64_t limit = deps_.step_log_limit;
    const int64_t build_limit = deps_.build_log_limit;
    bytes += static_cast<int64_t>(event.text().size());
    build_log_bytes_ += static_cast<int64_t>(event.text().size());
    const bool step_over = limit > 0 && bytes > limit;
    const bool build_over = build_limit > 0 && build_log_bytes_ > build_limit;
    if (step_over || build_over) {
      // One line says so, then the step's log is dropped.
      if (!clipped_steps_.insert(key).second) return;
      event.set_text(absl::StrCat("[output clipped, the log limit of ",
                                  HumanLimit(step_over ? limit : build_limit),
                                  step_over ? " per step" : " per build",
                                  " was reached]\n"));
      event.set_stream(2);
    }
  } else if (event.text().empty()) {
    event.set_text(step_texts_[key]);
  } else if (step_texts_[key].empty()) {
    step_texts_[key] = event.text();
  }
  if (event.timestamp_unix_nanos() == 0) {
    event.set_timestamp_unix_nanos(absl::ToUnixNanos(deps_.clock->Now()));
  }
  proto::BuildServerMessage message;
  *message.mutable_event() = std::move(event);
  Send(std::move(message));
}

bool BuildSession::Follow(
    int64_t after,
    const std::function<bool(const proto::BuildServerMessage&)>& write,
    const std::function<bool()>& cancelled) {
  size_t next = OutboxIndex(after, sequence_base_);
  while (true) {
    Outgoing item;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return next < outbox_.size() || done_;
      };
      while (!mu_.AwaitWithTimeout(absl::Condition(&ready),
                                   absl::Milliseconds(500))) {
        if (cancelled()) return false;
      }
      if (next >= outbox_.size()) return false;
      item = outbox_[next];
    }
    ++next;
    if (!item.output_path.empty()) {
      // An archive: stream the spooled file, then the closing chunk.
      absl::StatusOr<std::unique_ptr<ByteReader>> file =
          OpenFileReader(item.output_path);
      std::string buffer(1 << 20, '\0');
      while (file.ok()) {
        absl::StatusOr<size_t> n = (*file)->Read(buffer.data(), buffer.size());
        if (!n.ok() || *n == 0) break;
        proto::BuildServerMessage chunk;
        chunk.mutable_output()->set_format(item.message.output().format());
        chunk.mutable_output()->set_data(buffer.data(), *n);
        if (!write(chunk)) return false;
      }
    }
    if (!write(item.message)) return false;
    if (item.message.has_result()) return true;
  }
}

EventPage BuildSession::EventsAfter(int64_t after, size_t limit,
                                    absl::Duration wait) {
  // An event's sequence is its place in the outbox, counted from 1, after
  // the base.
  const size_t first = OutboxIndex(after, sequence_base_);
  EventPage page;
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return first < outbox_.size() || done_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  size_t next = first;
  for (; next < outbox_.size() && page.events.size() < limit; ++next) {
    if (outbox_[next].message.has_event()) {
      page.events.push_back(outbox_[next].message.event());
    }
  }
  page.done = done_ && next >= outbox_.size();
  page.last_sequence = sequence_base_ + static_cast<int64_t>(next);
  return page;
}

}  // namespace farm::scheduler
