// Small text helpers shared by the progress printers: sizes and durations
// as BuildKit prints them, splitting log text into lines, and fitting text
// to a terminal (control characters removed, width in columns).
#ifndef FARM_CLIENT_PROGRESS_TEXT_FORMAT_H_
#define FARM_CLIENT_PROGRESS_TEXT_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace farm::client::progress {

// Decimal units with up to 4 significant digits, as Docker prints sizes:
// "0B", "104B", "12.35kB", "4.5MB", "1.2GB".
std::string FormatBytes(int64_t bytes);
// Seconds with one decimal: "0.0s", "0.4s", "12.3s".
std::string FormatSeconds(absl::Duration d);

// The lines of a log chunk: split at '\n', a trailing '\r' dropped from
// each, and no empty last line for text that ends in a newline. "" gives
// one empty line.
std::vector<std::string> SplitLogLines(absl::string_view text);

// What a terminal can show of `line` on one row: escape sequences and
// control characters removed, tabs as spaces, and for text redrawn with
// '\r' (progress bars) only what follows the last '\r'.
std::string SanitizeForTerminal(absl::string_view line);
// Columns `text` takes: one per UTF-8 code point.
int TerminalWidth(absl::string_view text);
// The longest prefix of `text` that fits in `columns`, cut at a code point
// boundary.
std::string TruncateToWidth(absl::string_view text, int columns);

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_TEXT_FORMAT_H_
