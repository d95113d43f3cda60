// Here-documents in RUN, COPY and ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`): finding
// the heredoc words on an instruction line and reading their delimiters the
// way BuildKit does.
#ifndef FARM_DOCKERFILE_HEREDOC_H_
#define FARM_DOCKERFILE_HEREDOC_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::dockerfile {

struct Heredoc {
  // The delimiter with quotes removed; a line equal to it ends the body.
  std::string name;
  // The body exactly as written: every line with its line ending. Tabs are
  // not yet stripped for `<<-` (see ChompHeredoc).
  std::string content;
  // `<<-`: leading tabs are stripped from body lines and the delimiter line.
  bool chomp = false;
  // False when any part of the delimiter was quoted: no variable expansion.
  bool expand = true;
  // The file descriptor written before `<<` (`3<<EOF`), 0 when absent.
  int fd = 0;

  bool operator==(const Heredoc& other) const {
    return name == other.name && content == other.content &&
           chomp == other.chomp && expand == other.expand && fd == other.fd;
  }
};

// Parses one word of the form `[digits]<<[-]DELIM`. std::nullopt when the
// word is not a heredoc (including a delimiter that is empty or more than one
// shell word). The content is left empty.
std::optional<Heredoc> ParseHeredocWord(absl::string_view word);

// Every heredoc word on an instruction line, in order. The line is split into
// shell words with quotes kept (a quoted `"<<EOF"` is not a heredoc); a line
// the splitter cannot read (an unterminated quote) has none.
std::vector<Heredoc> HeredocsInLine(absl::string_view line);

// The body with leading tabs removed from every line (`<<-`).
std::string ChompHeredoc(absl::string_view content);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_HEREDOC_H_
