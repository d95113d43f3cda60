#include "dockerfile/dockerignore_pattern.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

absl::Status SyntaxError(absl::string_view pattern, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("syntax error in pattern ", GoQuote(pattern), ": ", why));
}

size_t RuneWidth(absl::string_view s, size_t pos) {
  int width;
  DecodeRune(s.substr(pos), &width);
  return static_cast<size_t>(width);
}

}  // namespace

absl::StatusOr<IgnorePattern> IgnorePattern::Compile(std::string pattern,
                                                     bool exclusion) {
  IgnorePattern result(std::move(pattern), exclusion);
  const absl::string_view s = result.text_;
  Type type = Type::kExact;
  Glob& glob = result.glob_;
  // The loop of patternmatcher's Pattern.compile, emitting tokens where it
  // emits regexp text.
  for (size_t i = 0; i < s.size();) {
    const bool first = i == 0;
    const char c = s[i];
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      i += 2;
      if (i < s.size() && s[i] == '/') ++i;
      if (i < s.size()) {
        glob.AddDirs('\n');  // "(.*/)?"
        type = Type::kTokens;
      } else if (type == Type::kExact) {
        glob.AddStar(kNoStop);  // "lit**": a plain prefix test
        type = Type::kPrefix;
      } else {
        glob.AddStar('\n');  // ".*"
        type = Type::kTokens;
      }
      if (first) type = Type::kSuffix;
    } else if (c == '*') {
      glob.AddStar('/');
      type = Type::kTokens;
      ++i;
    } else if (c == '?') {
      glob.AddOne('/');
      type = Type::kTokens;
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= s.size()) return SyntaxError(s, "trailing '\\'");
      const size_t width = RuneWidth(s, i + 1);
      glob.AddLiteral(s.substr(i + 1, width));
      type = Type::kTokens;
      i += 1 + width;
    } else if (c == '[') {
      CharClass cls;
      absl::StatusOr<size_t> end = ParseCharClass(s, i, false, &cls);
      if (!end.ok()) return SyntaxError(s, end.status().message());
      glob.AddClass(std::move(cls));
      type = Type::kTokens;
      i = *end;
    } else {
      if (c == ']') type = Type::kTokens;
      const size_t width = RuneWidth(s, i);
      glob.AddLiteral(s.substr(i, width));
      i += width;
    }
  }
  if (type == Type::kSuffix) {
    // "**" then plain text: patternmatcher tests HasSuffix(path, rest), and
    // "**/x" also matches "x" itself.
    const absl::string_view suffix = s.substr(2);
    Glob suffix_glob;
    if (absl::StartsWith(suffix, "/")) {
      suffix_glob.AddDirs(kNoStop);
      suffix_glob.AddLiteral(suffix.substr(1));
    } else {
      suffix_glob.AddStar(kNoStop);
      suffix_glob.AddLiteral(suffix);
    }
    glob = std::move(suffix_glob);
  }
  result.type_ = type;
  return result;
}

bool IgnorePattern::MatchesOrParent(absl::string_view path) const {
  switch (type_) {
    case Type::kExact:
      return absl::StartsWith(path, text_) &&
             (path.size() == text_.size() || path[text_.size()] == '/');
    case Type::kPrefix:
      // A parent that starts with the prefix makes the path start with it.
      return absl::StartsWith(
          path, absl::string_view(text_).substr(0, text_.size() - 2));
    case Type::kSuffix:
    case Type::kTokens:
      break;
  }
  // Spans[e] says whether path[0, e) matches, so one pass answers for the
  // path and every parent directory.
  const std::vector<int64_t> spans =
      glob_.Spans(path, 0, Glob::Starts::kAnchored);
  if (spans[path.size()] >= 0) return true;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && spans[i] >= 0) return true;
  }
  return false;
}

bool IgnorePattern::CouldMatchBelow(absl::string_view dir) const {
  return glob_.CouldMatchLonger(absl::StrCat(dir, "/"));
}

}  // namespace farm::dockerfile
