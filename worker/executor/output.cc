#include "worker/executor/output.h"

#include <utility>

namespace farm::executor {

absl::string_view StreamName(Stream stream) {
  return stream == Stream::kStdout ? "stdout" : "stderr";
}

void LineSplitter::Append(absl::string_view bytes) {
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    size_t take = newline == absl::string_view::npos ? bytes.size() : newline;
    size_t room = max_line_ - pending_.size();
    if (take > room) {
      // An overlong line: pass on a full piece and go on with the rest.
      pending_.append(bytes.data(), room);
      Flush();
      bytes.remove_prefix(room);
      continue;
    }
    pending_.append(bytes.data(), take);
    if (newline == absl::string_view::npos) return;
    sink_.Line(stream_, pending_);
    pending_.clear();
    bytes.remove_prefix(take + 1);
  }
}

void LineSplitter::Flush() {
  if (pending_.empty()) return;
  sink_.Line(stream_, pending_);
  pending_.clear();
}

void LineRecorder::Line(Stream stream, absl::string_view line) {
  {
    absl::MutexLock lock(&mu_);
    ++total_;
    lines_.push_back(OutputLine{stream, std::string(line)});
    if (max_lines_ != 0 && lines_.size() > max_lines_) lines_.pop_front();
  }
  if (next_ != nullptr) next_->Line(stream, line);
}

std::vector<OutputLine> LineRecorder::Lines() const {
  absl::MutexLock lock(&mu_);
  return std::vector<OutputLine>(lines_.begin(), lines_.end());
}

std::vector<std::string> LineRecorder::Texts(Stream stream) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const OutputLine& line : lines_) {
    if (line.stream == stream) out.push_back(line.text);
  }
  return out;
}

std::string LineRecorder::Tail() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const OutputLine& line : lines_) {
    out.append(line.text);
    out.push_back('\n');
  }
  return out;
}

size_t LineRecorder::total_lines() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace farm::executor
