#include "client/progress/text_format.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/human_format.h"

namespace farm::client::progress {

std::string FormatBytes(int64_t bytes) { return HumanSize(bytes, 4); }

std::string FormatSeconds(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d));
}

std::vector<std::string> SplitLogLines(absl::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  return lines;
}

std::string SanitizeForTerminal(absl::string_view line) {
  size_t cr = line.rfind('\r');
  if (cr != absl::string_view::npos) line = line.substr(cr + 1);
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = line[i];
    if (c == 0x1b) {
      // CSI "ESC [ params final" or a two-byte escape: skip it whole.
      if (i + 1 < line.size() && line[i + 1] == '[') {
        i += 2;
        while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7e)) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\t') {
      out.push_back(' ');
    } else if (c >= 0x20 && c != 0x7f) {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

int TerminalWidth(absl::string_view text) {
  int columns = 0;
  for (unsigned char c : text) {
    if ((c & 0xc0) != 0x80) ++columns;
  }
  return columns;
}

std::string TruncateToWidth(absl::string_view text, int columns) {
  if (columns <= 0) return "";
  int seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      if (seen == columns) return std::string(text.substr(0, i));
      ++seen;
    }
  }
  return std::string(text);
}

}  // namespace farm::client::progress
