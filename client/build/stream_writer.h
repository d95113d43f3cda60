// StreamWriter: the writing half of one Build call, on its own thread, so
// the reader never waits on an upload: it sends the opening messages, then
// the blobs the farm asks for, and a CancelRequest ahead of anything still
// queued when the build is to stop.
#ifndef FARM_CLIENT_BUILD_STREAM_WRITER_H_
#define FARM_CLIENT_BUILD_STREAM_WRITER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/build/build_stream.h"
#include "client/context/context_blob_source.h"
#include "client/progress/client_steps.h"
#include "common/clock.h"

namespace farm::client::build {

struct StreamWriterOptions {
  context::BlobSource* blobs = nullptr;    // not owned
  progress::ClientSteps* steps = nullptr;  // not owned; shows uploads
  size_t blob_chunk_bytes = 0;
  // When an upload fails on the client's side, how long the farm gets to
  // answer the writer's CancelRequest before the stream is cancelled.
  absl::Duration cancel_grace = absl::Seconds(10);
};

class StreamWriter {
 public:
  // Writes to `stream`, which must outlive the writer. Thread-safe.
  StreamWriter(BuildStream* stream, const StreamWriterOptions& options);
  // Stops the thread (see Stop).
  ~StreamWriter();

  // Starts the thread, which writes `opening` in order first.
  void Start(std::vector<proto::BuildClientMessage> opening);
  // Queues one NeedBlobs batch for upload.
  void Upload(std::vector<std::string> digests);
  // Sends CancelRequest{reason} as soon as the message being written is
  // out, and drops queued uploads. If the call is still going `grace`
  // later (the farm did not answer with a result), cancels the stream.
  // Only the first call counts.
  void Cancel(const std::string& reason, absl::Duration grace);
  // Ends the thread; the stream must have ended or been cancelled, or the
  // last write must have been taken, for this not to wait.
  void Stop();

  int64_t uploaded_bytes() const;
  // The first upload that failed on the client's side (a file that changed
  // during the build); the writer has asked the farm to cancel.
  absl::Status error() const;

 private:
  void Run(std::vector<proto::BuildClientMessage> opening);
  // Sends the CancelRequest if one is due. Called with mu_ released.
  void MaybeSendCancel();
  void UploadBatch(const std::vector<std::string>& digests);

  BuildStream* const stream_;
  const StreamWriterOptions options_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::deque<std::vector<std::string>> batches_ ABSL_GUARDED_BY(mu_);
  std::string cancel_reason_ ABSL_GUARDED_BY(mu_);
  bool cancel_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool cancel_sent_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time cancel_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed
  int64_t uploaded_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_STREAM_WRITER_H_
