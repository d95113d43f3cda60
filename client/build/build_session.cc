#include "client/build/build_session.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/progress/text_format.h"

namespace farm::client::build {

namespace {

// Call endings worth re-attaching after: the connection (or the
// scheduler) went away rather than the farm refusing something.
bool DroppedConnection(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:  // closed without a result
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

std::string Describe(const absl::Status& status) {
  return status.ok() ? "the farm closed the stream"
                     : std::string(status.message());
}

}  // namespace

BuildSession::BuildSession(BuildConnector* connector, SessionOptions options)
    : connector_(connector), options_(std::move(options)) {}

bool BuildSession::interrupted() const {
  absl::MutexLock lock(&mu_);
  return cancel_requested_;
}

int64_t BuildSession::uploaded_bytes() const {
  absl::MutexLock lock(&mu_);
  return uploaded_bytes_;
}

int BuildSession::reattachments() const {
  absl::MutexLock lock(&mu_);
  return reattachments_;
}

void BuildSession::Info(const std::string& text) {
  proto::BuildEvent event;
  event.set_kind(proto::BuildEvent::INFO);
  event.set_text(text);
  options_.printer->OnEvent(event);
}

void BuildSession::Interrupt() {
  {
    absl::MutexLock lock(&mu_);
    if (cancel_requested_) {
      abandoned_ = true;
      if (stream_ != nullptr) stream_->Cancel();
      return;
    }
    cancel_requested_ = true;
    if (writer_ != nullptr) {
      writer_->Cancel("interrupted by the user", options_.cancel_grace);
    }
  }
  Info("cancelling the build (press Ctrl-C again to quit at once)");
}

void BuildSession::HangUp() {
  absl::MutexLock lock(&mu_);
  cancel_requested_ = true;
  abandoned_ = true;
  if (stream_ != nullptr) stream_->Cancel();
}

void BuildSession::FailLocally(const absl::Status& status,
                               StreamWriter& writer) {
  {
    absl::MutexLock lock(&mu_);
    if (!local_error_.ok()) return;
    local_error_ = status;
  }
  writer.Cancel(std::string(status.message()), options_.cancel_grace);
}

absl::StatusOr<proto::BuildResult> BuildSession::Run() {
  {
    absl::MutexLock lock(&mu_);
    if (cancel_requested_) return absl::CancelledError("build cancelled");
  }
  int failures = 0;
  while (true) {
    Attempt attempt;
    absl::StatusOr<std::unique_ptr<BuildStream>> stream = connector_->Open();
    if (stream.ok()) {
      attempt = RunAttempt(**stream);
    } else {
      attempt.status = stream.status();
    }
    {
      absl::MutexLock lock(&mu_);
      if (!local_error_.ok()) return local_error_;
    }
    if (attempt.result.has_value()) return *std::move(attempt.result);
    if (attempt.heard_from_farm) failures = 0;
    ++failures;
    if (std::optional<absl::Status> end = GiveUp(attempt, failures)) {
      return *end;
    }
    absl::Duration wait = options_.first_backoff;
    for (int i = 1; i < failures && wait < options_.max_backoff; ++i) wait *= 2;
    wait = std::min(wait, options_.max_backoff);
    Info(absl::StrCat("lost the connection to the farm (",
                      Describe(attempt.status), "); re-attaching to build ",
                      build_id_, " in ", progress::FormatSeconds(wait),
                      " (attempt ", failures, " of ",
                      options_.max_attach_attempts, ")"));
    {
      absl::MutexLock lock(&mu_);
      auto interrupted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return cancel_requested_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&interrupted), wait);
      if (cancel_requested_) {
        return absl::CancelledError(
            absl::StrCat("build ", build_id_, " cancelled"));
      }
      ++reattachments_;
    }
    if (options_.outputs != nullptr) {
      if (absl::Status s = options_.outputs->Restart(); !s.ok()) return s;
    }
  }
}

std::optional<absl::Status> BuildSession::GiveUp(const Attempt& attempt,
                                                 int failures) {
  {
    absl::MutexLock lock(&mu_);
    if (cancel_requested_) {
      return absl::CancelledError(
          build_id_.empty() ? std::string("build cancelled")
                            : absl::StrCat("build ", build_id_, " cancelled"));
    }
  }
  const absl::Status& status = attempt.status;
  if (build_id_.empty()) {
    absl::StatusCode code =
        status.ok() ? absl::StatusCode::kUnavailable : status.code();
    return absl::Status(
        code,
        absl::StrCat("the farm did not accept the build: ", Describe(status)));
  }
  if (status.code() == absl::StatusCode::kNotFound) {
    // The farm's message says why (a restarted scheduler forgets builds).
    return absl::NotFoundError(absl::StrCat("re-attaching to build ", build_id_,
                                            ": ", status.message()));
  }
  if (!DroppedConnection(status)) {
    return absl::Status(status.code(), absl::StrCat("build ", build_id_, ": ",
                                                    status.message()));
  }
  if (options_.max_attach_attempts == 0) {
    return absl::UnavailableError(
        absl::StrCat("lost the connection to the farm during build ", build_id_,
                     ": ", Describe(status)));
  }
  if (failures > options_.max_attach_attempts) {
    return absl::UnavailableError(absl::StrCat(
        "lost the connection to the farm during build ", build_id_,
        " and could not re-attach after ", options_.max_attach_attempts,
        " attempts: ", Describe(status)));
  }
  return std::nullopt;
}

BuildSession::Attempt BuildSession::RunAttempt(BuildStream& stream) {
  std::vector<proto::BuildClientMessage> opening;
  if (!request_sent_) {
    opening.emplace_back();
    *opening.back().mutable_request() = options_.request;
    for (proto::BuildClientMessage& m :
         ManifestMessages(*options_.manifest, options_.manifest_chunk_bytes)) {
      opening.push_back(std::move(m));
    }
    request_sent_ = true;
  } else {
    opening.emplace_back();
    proto::AttachRequest* attach = opening.back().mutable_attach();
    attach->set_build_id(build_id_);
    attach->set_after_sequence(last_sequence_);
  }

  StreamWriterOptions writer_options;
  writer_options.blobs = options_.blobs;
  writer_options.steps = options_.steps;
  writer_options.blob_chunk_bytes = options_.blob_chunk_bytes;
  writer_options.cancel_grace = options_.cancel_grace;
  StreamWriter writer(&stream, writer_options);
  {
    absl::MutexLock lock(&mu_);
    stream_ = &stream;
    writer_ = &writer;
    if (abandoned_) stream.Cancel();
    if (cancel_requested_) {
      writer.Cancel("interrupted by the user", options_.cancel_grace);
    }
  }
  writer.Start(std::move(opening));

  Attempt attempt;
  proto::BuildServerMessage message;
  bool reading = true;
  while (reading && stream.Read(&message)) {
    attempt.heard_from_farm = true;
    reading = Handle(message, writer, attempt);
    absl::Status upload_error = writer.error();
    if (!upload_error.ok()) FailLocally(upload_error, writer);
  }
  writer.Stop();
  {
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
    writer_ = nullptr;
    uploaded_bytes_ += writer.uploaded_bytes();
    if (!writer.error().ok() && local_error_.ok()) {
      local_error_ = writer.error();
    }
  }
  if (attempt.result.has_value()) {
    stream.WritesDone();
    (void)stream.Finish();
  } else {
    attempt.status = stream.Finish();
  }
  return attempt;
}

bool BuildSession::Handle(const proto::BuildServerMessage& message,
                          StreamWriter& writer, Attempt& attempt) {
  switch (message.message_case()) {
    case proto::BuildServerMessage::kAccepted:
      if (build_id_.empty()) {
        build_id_ = message.accepted().build_id();
        options_.printer->OnAccepted(build_id_);
        if (!message.accepted().dashboard_url().empty()) {
          options_.printer->OnDashboard(message.accepted().dashboard_url());
        }
      }
      return true;
    case proto::BuildServerMessage::kNeed:
      writer.Upload(
          {message.need().digests().begin(), message.need().digests().end()});
      return true;
    case proto::BuildServerMessage::kEvent:
      // A re-attached stream replays from after_sequence; skip anything
      // seen already.
      if (message.event().sequence() > last_sequence_) {
        last_sequence_ = message.event().sequence();
        options_.printer->OnEvent(message.event());
      }
      return true;
    case proto::BuildServerMessage::kOutput: {
      absl::Status s = options_.outputs != nullptr
                           ? options_.outputs->Write(message.output())
                           : absl::InternalError(absl::StrCat(
                                 "the farm sent a ", message.output().format(),
                                 " archive nobody asked for"));
      if (!s.ok()) FailLocally(s, writer);
      return true;
    }
    case proto::BuildServerMessage::kResult:
      attempt.result = message.result();
      return false;
    default:  // a message from a newer farm: nothing this client can use
      return true;
  }
}

}  // namespace farm::client::build
