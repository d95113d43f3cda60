#include "common/etcd/watch_sink.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/etcd/etcd_json.h"

namespace farm::etcd {

absl::Status WatchSink::Write(absl::string_view data) {
  buffer_.append(data.data(), data.size());
  size_t start = 0;
  for (size_t nl;
       !done_ && (nl = buffer_.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    Consume(absl::string_view(buffer_).substr(start, nl - start));
  }
  buffer_.erase(0, start);
  // Failing the write is how a sink ends a transfer early.
  if (done_) return absl::CancelledError("watch: enough read");
  return absl::OkStatus();
}

absl::Status WatchSink::Close() {
  if (!done_) Consume(buffer_);
  buffer_.clear();
  return absl::OkStatus();
}

void WatchSink::Consume(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) return;
  absl::StatusOr<WatchMessage> m = DecodeWatchLine(line);
  if (!m.ok()) {
    done_ = true;
    outcome_ = m.status();
    return;
  }
  if (!m->error.ok()) {
    done_ = true;
    outcome_ = m->error;
  } else if (m->canceled) {
    done_ = true;
    outcome_ = m->compact_revision > 0
                   ? absl::OutOfRangeError(absl::StrCat(
                         "etcd watch: revision compacted; oldest is ",
                         m->compact_revision))
                   : absl::CancelledError("etcd cancelled the watch");
  } else if (!m->events.empty()) {
    done_ = true;
    events_ = std::move(m->events);
  } else if (m->created) {
    created_revision_ = m->revision;
  }
}

}  // namespace farm::etcd
