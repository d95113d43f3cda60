// How a container's output reaches the caller: line by line, each line tagged
// with its stream, as it is produced. LineSplitter turns pipe reads into
// lines; LineRecorder keeps a bounded tail for error messages and tests.
#ifndef FARM_WORKER_EXECUTOR_OUTPUT_H_
#define FARM_WORKER_EXECUTOR_OUTPUT_H_

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace farm::executor {

enum class Stream { kStdout, kStderr };

// "stdout" or "stderr".
absl::string_view StreamName(Stream stream);

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // One line of output without its '\n'. For one Run, calls come from the
  // thread that called Run and in the order the bytes were read; lines of
  // the two streams interleave as they arrive.
  virtual void Line(Stream stream, absl::string_view line) = 0;
};

// Cuts one stream into lines. A line longer than `max_line` bytes is passed
// on in pieces of `max_line`, so a process writing without newlines cannot
// make the worker buffer without bound.
class LineSplitter {
 public:
  static constexpr size_t kDefaultMaxLine = 64 * 1024;

  LineSplitter(Stream stream, OutputSink& sink,
               size_t max_line = kDefaultMaxLine)
      : stream_(stream), sink_(sink), max_line_(max_line > 0 ? max_line : 1) {}

  // Emits every line completed by `bytes` and keeps the rest.
  void Append(absl::string_view bytes);
  // Emits the final partial line, if any (a stream that does not end in
  // '\n' still shows its last line).
  void Flush();

 private:
  Stream stream_;
  OutputSink& sink_;
  size_t max_line_;
  std::string pending_;
};

struct OutputLine {
  Stream stream;
  std::string text;

  bool operator==(const OutputLine& other) const {
    return stream == other.stream && text == other.text;
  }
};

// Records the last `max_lines` lines (all lines when 0) and forwards every
// line to `next` when given. Thread-safe. The caller of a failed RUN shows
// Tail() under "RUN <cmd>: exit code N".
class LineRecorder : public OutputSink {
 public:
  explicit LineRecorder(size_t max_lines = 0, OutputSink* next = nullptr)
      : max_lines_(max_lines), next_(next) {}

  void Line(Stream stream, absl::string_view line) override;

  std::vector<OutputLine> Lines() const;
  // The recorded lines of `stream` only.
  std::vector<std::string> Texts(Stream stream) const;
  // The recorded lines of both streams, each followed by '\n'.
  std::string Tail() const;
  // Lines seen in total, including those no longer kept.
  size_t total_lines() const;

 private:
  const size_t max_lines_;
  OutputSink* const next_;
  mutable absl::Mutex mu_;
  std::deque<OutputLine> lines_ ABSL_GUARDED_BY(mu_);
  size_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_OUTPUT_H_
