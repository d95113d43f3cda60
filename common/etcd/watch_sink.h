// WatchSink: the ByteWriter a /v3/watch stream is read through. It splits
// the newline-delimited JSON, and stops the transfer (by failing a Write)
// once the first events, a cancellation or an error line arrive, since
// HttpTransport::Send otherwise waits for the stream to end.
#ifndef FARM_COMMON_ETCD_WATCH_SINK_H_
#define FARM_COMMON_ETCD_WATCH_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/etcd/etcd_types.h"
#include "common/io.h"

namespace farm::etcd {

class WatchSink : public ByteWriter {
 public:
  absl::Status Write(absl::string_view data) override;
  // Decodes a last line that came without a newline.
  absl::Status Close() override;

  // Whether the stream said what the watcher waits for; once true, the
  // error Write returned only meant "stop".
  bool done() const { return done_; }
  // When done: the stream's error (kOutOfRange for a compacted start
  // revision, kCancelled if etcd cancelled the watch, the error line's code),
  // else OK with events().
  const absl::Status& outcome() const { return outcome_; }
  std::vector<WatchEvent>& events() { return events_; }
  // The store revision when the watch was created, 0 before.
  int64_t created_revision() const { return created_revision_; }

 private:
  void Consume(absl::string_view line);

  std::string buffer_;
  bool done_ = false;
  absl::Status outcome_;
  std::vector<WatchEvent> events_;
  int64_t created_revision_ = 0;
};

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_WATCH_SINK_H_
