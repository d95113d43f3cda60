#include "dockerfile/directives.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

// RE2's \s: the ASCII whitespace set without \v.
bool IsReSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

// Matches `name\s*=\s*(.+?)\s*$` against `line` (already past '#' and the
// whitespace after it). Returns false when the line is not directive-shaped.
bool MatchDirective(absl::string_view line, std::string* name,
                    std::string* value) {
  size_t i = 0;
  if (i >= line.size() || !absl::ascii_isalpha(line[i])) return false;
  while (i < line.size() && absl::ascii_isalnum(line[i])) ++i;
  *name = std::string(line.substr(0, i));
  while (i < line.size() && IsReSpace(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return false;
  absl::string_view rest = line.substr(i + 1);
  size_t begin = 0;
  while (begin < rest.size() && IsReSpace(rest[begin])) ++begin;
  size_t end = rest.size();
  while (end > begin && IsReSpace(rest[end - 1])) --end;
  if (begin == end) {
    // All whitespace: the lazy group still needs one character, so it takes
    // the last one the greedy \s* gives back.
    if (rest.empty()) return false;
    *value = std::string(rest.substr(rest.size() - 1));
    return true;
  }
  *value = std::string(rest.substr(begin, end - begin));
  return true;
}

}  // namespace

absl::Status DirectiveScanner::Feed(absl::string_view line, int line_number) {
  if (done_) return absl::OkStatus();
  if (line.empty() || line[0] != '#') {
    done_ = true;
    return absl::OkStatus();
  }
  absl::string_view body = TrimLeftGoSpace(line.substr(1));
  std::string name, value;
  if (!MatchDirective(body, &name, &value)) {
    done_ = true;
    return absl::OkStatus();
  }
  name = absl::AsciiStrToLower(name);
  std::optional<Directive>* slot = nullptr;
  if (name == "syntax") {
    slot = &directives_.syntax;
  } else if (name == "escape") {
    slot = &directives_.escape;
  } else if (name == "check") {
    slot = &directives_.check;
  } else {
    done_ = true;
    return absl::OkStatus();
  }
  if (slot->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("only one ", name, " parser directive can be used"));
  }
  if (name == "escape") {
    if (value != "\\" && value != "`") {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid escape token '", value, "' does not match ` or \\"));
    }
    directives_.escape_char = value[0];
  }
  *slot = Directive{value, line_number};
  return absl::OkStatus();
}

absl::StatusOr<CheckOptions> ParseCheckOptions(absl::string_view value) {
  CheckOptions options;
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return options;
  std::vector<absl::string_view> parts =
      absl::StrSplit(value, absl::MaxSplits(';', 2));
  for (absl::string_view part : parts) {
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid check option ", GoQuote(part)));
    }
    absl::string_view key = absl::StripAsciiWhitespace(part.substr(0, eq));
    absl::string_view v = absl::StripAsciiWhitespace(part.substr(eq + 1));
    if (key == "skip") {
      if (v == "all") {
        options.skip_all = true;
      } else {
        for (absl::string_view rule : absl::StrSplit(v, ',')) {
          options.skip.emplace_back(absl::StripAsciiWhitespace(rule));
        }
      }
    } else if (key == "error") {
      std::optional<bool> b = ParseGoBool(v);
      if (!b) {
        return absl::InvalidArgumentError(
            absl::StrCat("failed to parse check option ", GoQuote(part)));
      }
      options.error = *b;
    } else if (key == "experimental") {
      // Experimental checks are accepted and have no effect here.
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid check option ", GoQuote(key)));
    }
  }
  return options;
}

}  // namespace farm::dockerfile
