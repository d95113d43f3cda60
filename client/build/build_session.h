// BuildSession: the client's side of one build over the Build stream. It
// sends the request and the manifest, uploads the blobs the farm asks for,
// feeds events to the progress printer and archives to the output files,
// cancels on Ctrl-C, and re-attaches when the connection drops.
#ifndef FARM_CLIENT_BUILD_BUILD_SESSION_H_
#define FARM_CLIENT_BUILD_BUILD_SESSION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/build/build_stream.h"
#include "client/build/output_files.h"
#include "client/build/stream_writer.h"
#include "client/build/upload_messages.h"
#include "client/context/context_blob_source.h"
#include "client/progress/client_steps.h"
#include "client/progress/progress_printer.h"

namespace farm::client::build {

struct SessionOptions {
  proto::BuildRequest request;
  // Not owned; all but `outputs` required.
  const proto::ContextManifest* manifest = nullptr;
  context::BlobSource* blobs = nullptr;
  progress::ProgressPrinter* printer = nullptr;
  progress::ClientSteps* steps = nullptr;
  OutputFiles* outputs = nullptr;  // null when no --output was given

  size_t manifest_chunk_bytes = kDefaultManifestChunkBytes;
  size_t blob_chunk_bytes = kDefaultBlobChunkBytes;
  // Re-attaching: attempts in a row without hearing from the farm (0: a
  // lost connection ends the build), and the wait before each (doubling
  // from `first_backoff` to `max_backoff`).
  int max_attach_attempts = 5;
  absl::Duration first_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(8);
  // After the first Ctrl-C, how long the farm gets to answer the
  // CancelRequest with a result before the client hangs up.
  absl::Duration cancel_grace = absl::Seconds(10);
};

class BuildSession {
 public:
  BuildSession(BuildConnector* connector, SessionOptions options);

  // Runs the build to its end and returns the farm's result, failed builds
  // included (ok false). The printer gets the events but not the result:
  // the caller decides what to add first. Errors when no result can be had:
  // the client's own (a context file that changed, an output it could not
  // write), kCancelled after Ctrl-C without a result, kNotFound when the
  // farm no longer knows the build on re-attaching, kUnavailable when the
  // connection could not be restored, and kInternal for protocol
  // violations. Call once.
  absl::StatusOr<proto::BuildResult> Run();

  // Ctrl-C, from any thread (a signal watcher): the first asks the farm to
  // cancel the build and waits up to cancel_grace for its result; the next
  // hangs up at once and makes Run return kCancelled.
  void Interrupt();
  // Drops the call at once without asking the farm to cancel (which it does
  // on its own when its client goes away); Run returns kCancelled. Any
  // thread (SIGTERM).
  void HangUp();
  bool interrupted() const;

  const std::string& build_id() const { return build_id_; }
  // Blob bytes sent, over all attempts.
  int64_t uploaded_bytes() const;
  // How many times the session re-attached after a dropped connection.
  int reattachments() const;

 private:
  struct Attempt {
    std::optional<proto::BuildResult> result;
    absl::Status status;  // how the call ended when there is no result
    bool heard_from_farm = false;
  };

  Attempt RunAttempt(BuildStream& stream);
  // Handles one message from the farm; false ends the attempt's reading.
  bool Handle(const proto::BuildServerMessage& message, StreamWriter& writer,
              Attempt& attempt);
  // What to return when an attempt ended without a result; nullopt to
  // re-attach.
  std::optional<absl::Status> GiveUp(const Attempt& attempt, int failures);
  // Records the client's own error and asks the farm to stop.
  void FailLocally(const absl::Status& status, StreamWriter& writer);
  void Info(const std::string& text);

  BuildConnector* const connector_;
  const SessionOptions options_;
  // Used only by Run's thread.
  std::string build_id_;
  int64_t last_sequence_ = 0;
  bool request_sent_ = false;

  mutable absl::Mutex mu_;
  BuildStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  StreamWriter* writer_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancel_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status local_error_ ABSL_GUARDED_BY(mu_);
  int64_t uploaded_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int reattachments_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_BUILD_SESSION_H_
