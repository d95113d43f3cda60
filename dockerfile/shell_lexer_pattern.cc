#include "dockerfile/shell_lexer_pattern.h"

#include <locale.h>
#include <wctype.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

// glibc's C.UTF-8 locale classifies all of Unicode; without it only ASCII
// letters and digits count.
locale_t Utf8Locale() {
  static const locale_t locale =
      newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return locale;
}

struct Match {
  size_t begin;
  size_t end;
};

// The leftmost match starting at or after `from`, and the longest one that
// starts there (what Go's leftmost-first search finds for these patterns,
// whose stars are greedy).
bool FindLeftmost(const Glob& pattern, absl::string_view value, size_t from,
                  Match* match) {
  const std::vector<int64_t> spans =
      pattern.Spans(value, from, Glob::Starts::kEarliest);
  int64_t best = -1;
  for (size_t e = 0; e < spans.size(); ++e) {
    if (spans[e] < 0) continue;
    if (best < 0 || spans[e] < best) {
      best = spans[e];
      match->end = e;
    } else if (spans[e] == best) {
      match->end = e;
    }
  }
  if (best < 0) return false;
  match->begin = static_cast<size_t>(best);
  return true;
}

// Go's Regexp.Expand for a pattern without capture groups.
void AppendTemplate(absl::string_view tmpl, absl::string_view matched,
                    std::string* out) {
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t dollar = tmpl.find('$', i);
    if (dollar == absl::string_view::npos) break;
    out->append(tmpl.data() + i, dollar - i);
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out->push_back('$');
      ++i;
      continue;
    }
    size_t k = i;
    const bool brace = k < tmpl.size() && tmpl[k] == '{';
    if (brace) ++k;
    const size_t name_begin = k;
    while (k < tmpl.size()) {
      int width;
      if (!IsNameRune(DecodeRune(tmpl.substr(k), &width))) break;
      k += width;
    }
    const absl::string_view name = tmpl.substr(name_begin, k - name_begin);
    if (name.empty() || (brace && (k >= tmpl.size() || tmpl[k] != '}'))) {
      out->push_back('$');  // malformed: the '$' is plain text
      continue;
    }
    i = brace ? k + 1 : k;
    if (name == "0") absl::StrAppend(out, matched);  // other groups are empty
  }
  if (i < tmpl.size()) out->append(tmpl.data() + i, tmpl.size() - i);
}

}  // namespace

bool IsNameRune(uint32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  }
  const locale_t locale = Utf8Locale();
  return locale != static_cast<locale_t>(nullptr) &&
         iswalnum_l(static_cast<wint_t>(c), locale);
}

absl::StatusOr<Glob> CompileShellPattern(absl::string_view pattern,
                                         bool brackets) {
  Glob glob;
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '*') {
      glob.AddStar('\n');
      ++i;
    } else if (c == '?') {
      glob.AddOne('\n');
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= pattern.size()) {
        return absl::InvalidArgumentError("invalid escape at end of pattern");
      }
      const char escaped = pattern[i + 1];
      if (escaped == '}' || escaped == '/') {
        ++i;  // the escape only protected the delimiter
        continue;
      }
      const bool allowed = escaped == '*' || escaped == '?' ||
                           escaped == '\\' ||
                           (brackets && (escaped == '[' || escaped == ']'));
      if (!allowed) {
        int width;
        DecodeRune(pattern.substr(i + 1), &width);
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid escape '\\", pattern.substr(i + 1, width), "'"));
      }
      glob.AddLiteral(pattern.substr(i + 1, 1));
      i += 2;
    } else {
      if (c == '[' && brackets) {
        CharClass cls;
        absl::StatusOr<size_t> end = ParseCharClass(pattern, i, true, &cls);
        if (end.ok()) {
          glob.AddClass(std::move(cls));
          i = *end;
          continue;
        }
        // A malformed bracket is an ordinary '[', as in sh.
      }
      int width;
      DecodeRune(pattern.substr(i), &width);
      glob.AddLiteral(pattern.substr(i, width));
      i += width;
    }
  }
  return glob;
}

std::string TrimMatchedPrefix(const Glob& pattern, absl::string_view value,
                              bool longest) {
  const std::vector<int64_t> spans =
      pattern.Spans(value, 0, Glob::Starts::kAnchored);
  for (size_t k = 0; k < spans.size(); ++k) {
    const size_t end = longest ? spans.size() - 1 - k : k;
    if (spans[end] >= 0) return std::string(value.substr(end));
  }
  return std::string(value);
}

std::string TrimMatchedSuffix(const Glob& pattern, absl::string_view value,
                              bool longest) {
  // Shortest suffix: the latest start that reaches the end; longest: the
  // earliest.
  const std::vector<int64_t> spans = pattern.Spans(
      value, 0, longest ? Glob::Starts::kEarliest : Glob::Starts::kLatest);
  const int64_t begin = spans[value.size()];
  if (begin < 0) return std::string(value);
  return std::string(value.substr(0, static_cast<size_t>(begin)));
}

std::string ReplaceMatches(const Glob& pattern, absl::string_view value,
                           absl::string_view replacement, bool all) {
  Match m;
  if (!all) {
    if (!FindLeftmost(pattern, value, 0, &m)) return std::string(value);
    return absl::StrCat(value.substr(0, m.begin), replacement,
                        value.substr(m.end));
  }
  // The loop of Go's Regexp.ReplaceAllString.
  std::string out;
  size_t last_end = 0;
  size_t search = 0;
  while (search <= value.size() && FindLeftmost(pattern, value, search, &m)) {
    out.append(value.data() + last_end, m.begin - last_end);
    if (m.end > last_end || m.begin == 0) {
      AppendTemplate(replacement, value.substr(m.begin, m.end - m.begin), &out);
    }
    last_end = m.end;
    int width = 0;
    if (search < value.size()) DecodeRune(value.substr(search), &width);
    if (search + width > m.end) {
      search += width;
    } else if (search + 1 > m.end) {
      search += 1;
    } else {
      search = m.end;
    }
  }
  out.append(value.data() + last_end, value.size() - last_end);
  return out;
}

}  // namespace farm::dockerfile
