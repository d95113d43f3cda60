#include "dockerfile/line_reader.h"

#include "dockerfile/text.h"

namespace farm::dockerfile {

LineReader::LineReader(absl::string_view content) : rest_(content) {
  if (rest_.substr(0, 3) == "\xEF\xBB\xBF") rest_.remove_prefix(3);
}

bool LineReader::Next(absl::string_view* line) {
  if (rest_.empty()) return false;
  size_t nl = rest_.find('\n');
  size_t len = nl == absl::string_view::npos ? rest_.size() : nl + 1;
  *line = rest_.substr(0, len);
  rest_.remove_prefix(len);
  ++line_number_;
  return true;
}

absl::string_view TrimNewline(absl::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

bool IsCommentLine(absl::string_view line) {
  line = TrimLeftGoSpace(line);
  return !line.empty() && line[0] == '#';
}

bool IsBlankLine(absl::string_view line) {
  return TrimLeftGoSpace(TrimNewline(line)).empty();
}

bool TrimContinuation(char escape, std::string* line) {
  size_t end = line->size();
  while (end > 0 && ((*line)[end - 1] == ' ' || (*line)[end - 1] == '\t')) {
    --end;
  }
  if (end == 0 || (*line)[end - 1] != escape) return false;
  size_t escape_pos = end - 1;
  // An escape character preceded by another escape character is literal.
  // (Docker's pattern: `([^\\])\\[ \t]*$` or the escape alone on its line.)
  if (escape_pos > 0 && (*line)[escape_pos - 1] == escape) return false;
  line->resize(escape_pos);
  return true;
}

}  // namespace farm::dockerfile
