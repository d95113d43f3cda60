// Builders of BuildEvents for tests, so recorded event sequences read like
// the build they describe, and a printer that records what it is given.
// Test-only.
#ifndef FARM_CLIENT_PROGRESS_TESTING_EVENTS_H_
#define FARM_CLIENT_PROGRESS_TESTING_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/progress/progress_printer.h"
#include "proto/build.pb.h"

namespace farm::client::progress::testing {

// Timestamps are seconds after an arbitrary epoch, in nanoseconds.
constexpr int64_t kT0 = 1700000000000000000;
inline int64_t At(double seconds) {
  return kT0 + static_cast<int64_t>(seconds * 1e9);
}

inline proto::BuildEvent Started(int64_t seq, int step,
                                 const std::string& stage, int index, int count,
                                 const std::string& text, double at,
                                 const std::string& worker = "") {
  proto::BuildEvent e;
  e.set_sequence(seq);
  e.set_kind(proto::BuildEvent::STEP_STARTED);
  e.set_step(step);
  e.set_stage_name(stage);
  e.set_instruction_index(index);
  e.set_instruction_count(count);
  e.set_text(text);
  e.set_worker(worker);
  e.set_timestamp_unix_nanos(At(at));
  return e;
}

inline proto::BuildEvent Simple(int64_t seq, proto::BuildEvent::Kind kind,
                                int step, const std::string& text, double at) {
  proto::BuildEvent e;
  e.set_sequence(seq);
  e.set_kind(kind);
  e.set_step(step);
  e.set_text(text);
  e.set_timestamp_unix_nanos(At(at));
  return e;
}

inline proto::BuildEvent Log(int64_t seq, int step, const std::string& text,
                             double at) {
  proto::BuildEvent e =
      Simple(seq, proto::BuildEvent::STEP_LOG, step, text, at);
  e.set_stream(1);
  return e;
}

inline proto::BuildEvent Finished(int64_t seq, proto::BuildEvent::Kind kind,
                                  int step, double seconds, double at,
                                  const std::string& text = "",
                                  const std::string& worker = "") {
  proto::BuildEvent e = Simple(seq, kind, step, text, at);
  e.set_duration_nanos(static_cast<int64_t>(seconds * 1e9));
  e.set_worker(worker);
  return e;
}

inline proto::BuildResult Success(const std::string& image_id,
                                  const std::vector<std::string>& tags) {
  proto::BuildResult r;
  r.set_ok(true);
  r.set_image_id(image_id);
  for (const std::string& tag : tags) r.add_tags(tag);
  return r;
}

inline proto::BuildResult Failure(const std::string& error) {
  proto::BuildResult r;
  r.set_ok(false);
  r.set_error_code(3);
  r.set_error(error);
  return r;
}

// Keeps every call, for assertions. Thread-safe.
class RecordingPrinter : public ProgressPrinter {
 public:
  void OnAccepted(const std::string& build_id) override {
    absl::MutexLock lock(&mu_);
    accepted_.push_back(build_id);
  }
  void OnEvent(const proto::BuildEvent& event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  void OnResult(const proto::BuildResult& result) override {
    absl::MutexLock lock(&mu_);
    results_.push_back(result);
  }
  std::vector<std::string> accepted() const {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }
  std::vector<proto::BuildEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  std::vector<proto::BuildResult> results() const {
    absl::MutexLock lock(&mu_);
    return results_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> accepted_;
  std::vector<proto::BuildEvent> events_;
  std::vector<proto::BuildResult> results_;
};

}  // namespace farm::client::progress::testing

#endif  // FARM_CLIENT_PROGRESS_TESTING_EVENTS_H_
