#include "dockerfile/arg_parsers.h"

#include "absl/strings/str_cat.h"
#include "dockerfile/json_array.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {

std::vector<std::string> ParseWords(absl::string_view rest, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  uint32_t quote = 0;
  bool blank_ok = false;
  size_t pos = 0;
  uint32_t ch = 0;
  int width = 0;
  while (true) {
    bool at_end = pos >= rest.size();
    if (!at_end) ch = DecodeRune(rest.substr(pos), &width);
    if (phase == kSpaces) {
      if (at_end) break;
      if (IsGoSpace(ch)) {
        pos += width;
        continue;
      }
      phase = kWord;
    }
    if (at_end) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsGoSpace(ch)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        pos += width;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
      }
      if (ch == static_cast<unsigned char>(escape)) {
        if (pos + width == rest.size()) {
          pos += width;
          continue;  // An escape at the very end is dropped.
        }
        // Outside quotes the escape and the next character are both kept.
        AppendRune(ch, &word);
        pos += width;
        ch = DecodeRune(rest.substr(pos), &width);
      }
      AppendRune(ch, &word);
      pos += width;
      continue;
    }
    // kQuote
    if (ch == quote) phase = kWord;
    if (ch == static_cast<unsigned char>(escape) && quote != '\'') {
      if (pos + width == rest.size()) {
        phase = kWord;
        pos += width;
        continue;
      }
      pos += width;
      AppendRune(ch, &word);
      ch = DecodeRune(rest.substr(pos), &width);
    }
    AppendRune(ch, &word);
    pos += width;
  }
  return words;
}

absl::StatusOr<ParsedArgs> ParseKeyValues(absl::string_view rest,
                                          absl::string_view keyword,
                                          char escape) {
  ParsedArgs parsed;
  std::vector<std::string> words = ParseWords(rest, escape);
  if (words.empty()) return parsed;
  if (words[0].find('=') == std::string::npos) {
    // Legacy `KEY name value`: the value is the raw rest of the line.
    std::vector<std::string> parts = SplitOnSpaceRuns(rest, 2);
    if (parts.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(keyword, " must have two arguments"));
    }
    parsed.args = {parts[0], parts[1], ""};
    return parsed;
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("Syntax error - can't find = in ", GoQuote(word),
                       ". Must be of the form: name=value"));
    }
    parsed.args.push_back(word.substr(0, eq));
    parsed.args.push_back(word.substr(eq + 1));
    parsed.args.push_back("=");
  }
  return parsed;
}

ParsedArgs ParseArgWords(absl::string_view rest, char escape) {
  return ParsedArgs{ParseWords(rest, escape), false};
}

ParsedArgs ParseWhitespaceList(absl::string_view rest) {
  ParsedArgs parsed;
  if (!rest.empty()) parsed.args = SplitOnSpaceRuns(rest, -1);
  return parsed;
}

ParsedArgs ParseSingleString(absl::string_view rest) {
  ParsedArgs parsed;
  if (!rest.empty()) parsed.args.emplace_back(rest);
  return parsed;
}

namespace {

// Tries the exec form. True when `rest` was a JSON array of strings (stored
// in *parsed), false when it is not JSON; an error for non-string items.
absl::StatusOr<bool> TryJsonArray(absl::string_view rest, ParsedArgs* parsed) {
  switch (ParseJsonStringArray(rest, &parsed->args)) {
    case JsonArrayResult::kStrings:
      parsed->json = true;
      return true;
    case JsonArrayResult::kNotStrings:
      return absl::InvalidArgumentError(kNotStringArrayError);
    case JsonArrayResult::kNotJson:
      break;
  }
  return false;
}

}  // namespace

absl::StatusOr<ParsedArgs> ParseJsonOrString(absl::string_view rest) {
  ParsedArgs parsed;
  if (rest.empty()) return parsed;
  absl::StatusOr<bool> json = TryJsonArray(rest, &parsed);
  if (!json.ok()) return json.status();
  if (!*json) parsed.args = {std::string(rest)};
  return parsed;
}

absl::StatusOr<ParsedArgs> ParseJsonOrList(absl::string_view rest) {
  ParsedArgs parsed;
  absl::StatusOr<bool> json = TryJsonArray(rest, &parsed);
  if (!json.ok()) return json.status();
  if (!*json) return ParseWhitespaceList(rest);
  return parsed;
}

absl::StatusOr<ParsedArgs> ParseHealthcheckArgs(absl::string_view rest) {
  size_t sep = 0;
  while (sep < rest.size() &&
         !IsGoSpaceByte(static_cast<unsigned char>(rest[sep]))) {
    ++sep;
  }
  size_t next = sep;
  while (next < rest.size() &&
         IsGoSpaceByte(static_cast<unsigned char>(rest[next]))) {
    ++next;
  }
  ParsedArgs parsed;
  if (sep == 0) return parsed;
  absl::StatusOr<ParsedArgs> command = ParseJsonOrString(rest.substr(next));
  if (!command.ok()) return command.status();
  parsed.args.emplace_back(rest.substr(0, sep));
  for (std::string& arg : command->args) parsed.args.push_back(std::move(arg));
  parsed.json = command->json;
  return parsed;
}

}  // namespace farm::dockerfile
