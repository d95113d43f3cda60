#include "dockerfile/heredoc.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Splits `s` into shell words with the backslash as escape character, the way
// BuildKit's lexer does when it looks for heredocs: no variable is set and
// unset ones stay as written. With `raw_quotes` the quote characters stay in
// the words, with `raw_escapes` the escape characters do. Returns false for
// input the lexer rejects.
bool SplitShellWords(absl::string_view s, bool raw_quotes, bool raw_escapes,
                     std::vector<std::string>* words) {
  std::string word;
  bool in_word = false;
  size_t i = 0;
  auto flush = [&] {
    if (in_word) words->push_back(word);
    word.clear();
    in_word = false;
  };
  while (i < s.size()) {
    int width;
    uint32_t r = DecodeRune(s.substr(i), &width);
    char c = s[i];
    if (IsGoSpace(r)) {
      flush();
      i += width;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 >= s.size()) {
        ++i;  // A trailing escape is dropped.
        continue;
      }
      if (raw_escapes) word.push_back('\\');
      word.push_back(s[i + 1]);
      i += 2;
      continue;
    }
    if (c == '\'') {
      size_t close = s.find('\'', i + 1);
      if (close == absl::string_view::npos) return false;
      if (raw_quotes) word.push_back('\'');
      absl::StrAppend(&word, s.substr(i + 1, close - i - 1));
      if (raw_quotes) word.push_back('\'');
      i = close + 1;
      continue;
    }
    if (c == '"') {
      if (raw_quotes) word.push_back('"');
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        if (s[i] == '\\' && i + 1 < s.size() &&
            (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$')) {
          if (raw_escapes) word.push_back('\\');
          word.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(s[i]);
        ++i;
      }
      if (!closed) return false;
      if (raw_quotes) word.push_back('"');
      continue;
    }
    if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      // `${...}` stays as written; it must be well formed.
      size_t j = i + 2;
      size_t name_start = j;
      while (j < s.size() && IsNameChar(s[j])) ++j;
      if (j == name_start || j >= s.size()) return false;
      if (s[j] != '}') {
        if (absl::string_view(":-+?#%/").find(s[j]) ==
            absl::string_view::npos) {
          return false;
        }
        int depth = 1;
        ++j;
        while (j < s.size() && depth > 0) {
          if (s[j] == '\\') {
            j += 2;
            continue;
          }
          if (s[j] == '$' && j + 1 < s.size() && s[j + 1] == '{') {
            ++depth;
            j += 2;
            continue;
          }
          if (s[j] == '}') --depth;
          ++j;
        }
        if (depth > 0) return false;
        absl::StrAppend(&word, s.substr(i, j - i));
        i = j;
        continue;
      }
      absl::StrAppend(&word, s.substr(i, j + 1 - i));
      i = j + 1;
      continue;
    }
    absl::StrAppend(&word, s.substr(i, width));
    i += width;
  }
  flush();
  return true;
}

int CountQuotes(absl::string_view s) {
  int n = 0;
  for (char c : s) n += (c == '\'' || c == '"');
  return n;
}

}  // namespace

std::optional<Heredoc> ParseHeredocWord(absl::string_view word) {
  // ^(\d*)<<(-?)([^<]*)$
  size_t i = 0;
  while (i < word.size() && absl::ascii_isdigit(word[i])) ++i;
  absl::string_view digits = word.substr(0, i);
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  bool chomp = false;
  if (i < word.size() && word[i] == '-') {
    chomp = true;
    ++i;
  }
  absl::string_view rest = word.substr(i);
  if (rest.find('<') != absl::string_view::npos || rest.empty()) {
    return std::nullopt;
  }
  std::vector<std::string> words, raw_words;
  if (!SplitShellWords(rest, false, false, &words) || words.size() != 1) {
    return std::nullopt;
  }
  if (!SplitShellWords(rest, true, false, &raw_words) ||
      raw_words.size() != 1) {
    return std::nullopt;
  }
  Heredoc heredoc;
  heredoc.name = words[0];
  heredoc.chomp = chomp;
  heredoc.expand = CountQuotes(words[0]) == CountQuotes(raw_words[0]);
  // strconv.ParseUint errors (overflow) leave the descriptor at 0.
  std::optional<uint64_t> fd = ParseGoUint(digits, 10, 31);
  heredoc.fd = fd ? static_cast<int>(*fd) : 0;
  return heredoc;
}

std::vector<Heredoc> HeredocsInLine(absl::string_view line) {
  std::vector<Heredoc> heredocs;
  if (line.find("<<") == absl::string_view::npos) return heredocs;
  std::vector<std::string> words;
  if (!SplitShellWords(line, true, true, &words)) return heredocs;
  for (const std::string& word : words) {
    std::optional<Heredoc> heredoc = ParseHeredocWord(word);
    if (heredoc) heredocs.push_back(std::move(*heredoc));
  }
  return heredocs;
}

std::string ChompHeredoc(absl::string_view content) {
  std::string out;
  out.reserve(content.size());
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}

}  // namespace farm::dockerfile
