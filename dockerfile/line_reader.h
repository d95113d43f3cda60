// Physical-line reading for the Dockerfile parser: splits the text into lines
// (keeping line endings, as heredoc bodies need them) and implements Docker's
// rules for comments, blank lines and the escape character at a line's end.
#ifndef FARM_DOCKERFILE_LINE_READER_H_
#define FARM_DOCKERFILE_LINE_READER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// Yields the lines of `content` one at a time, each with its trailing "\n"
// (the last line may have none). A UTF-8 byte-order mark at the start is
// dropped. The content must outlive the reader.
class LineReader {
 public:
  explicit LineReader(absl::string_view content);
  // False at the end of input.
  bool Next(absl::string_view* line);
  // Number of lines returned so far (the 1-based number of the last one).
  int line_number() const { return line_number_; }

 private:
  absl::string_view rest_;
  int line_number_ = 0;
};

// Removes every trailing '\r' and '\n'.
absl::string_view TrimNewline(absl::string_view line);

// A line whose first non-space character is '#'.
bool IsCommentLine(absl::string_view line);

// A line with nothing but whitespace.
bool IsBlankLine(absl::string_view line);

// If `line` ends with the escape character (optionally followed by spaces or
// tabs) that is not itself escaped, removes it and the whitespace after it and
// returns true: the instruction continues on the next line.
bool TrimContinuation(char escape, std::string* line);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_LINE_READER_H_
