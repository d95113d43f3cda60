#include "dockerfile/shell_lexer.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/glob.h"
#include "dockerfile/shell_lexer_pattern.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

constexpr int32_t kEnd = -1;

// $@ $* $# $? $- $$ $! $0: one-character names, as BuildKit reads them.
bool IsSpecialParam(int32_t c) {
  switch (c) {
    case '@':
    case '*':
    case '#':
    case '?':
    case '-':
    case '$':
    case '!':
    case '0':
      return true;
    default:
      return false;
  }
}

// Reads a word one UTF-8 character at a time.
class Cursor {
 public:
  explicit Cursor(absl::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  int32_t Peek() const {
    int width;
    return AtEnd() ? kEnd
                   : static_cast<int32_t>(DecodeRune(s_.substr(pos_), &width));
  }
  // Consumes one character and returns its bytes (empty at the end).
  absl::string_view Take() {
    if (AtEnd()) return {};
    int width;
    DecodeRune(s_.substr(pos_), &width);
    absl::string_view bytes = s_.substr(pos_, width);
    pos_ += width;
    return bytes;
  }

 private:
  absl::string_view s_;
  size_t pos_ = 0;
};

int32_t CodeOf(absl::string_view bytes) {
  int width;
  return static_cast<int32_t>(DecodeRune(bytes, &width));
}

// BuildKit's word splitting: whitespace written in the word or coming from a
// variable's value ends a word; quoted or escaped text never does, and
// empty words are dropped.
class WordSplitter {
 public:
  void AddChar(absl::string_view bytes) {
    if (!IsGoSpace(CodeOf(bytes))) {
      AddRaw(bytes);
    } else if (in_word_ && !word_.empty()) {
      words_.push_back(std::move(word_));
      word_.clear();
      in_word_ = false;
    }
  }
  void AddRaw(absl::string_view bytes) {
    absl::StrAppend(&word_, bytes);
    in_word_ = true;
  }
  void AddExpanded(absl::string_view text) {
    for (size_t i = 0; i < text.size();) {
      int width;
      DecodeRune(text.substr(i), &width);
      AddChar(text.substr(i, width));
      i += width;
    }
  }
  std::vector<std::string> Finish() {
    if (!word_.empty()) words_.push_back(std::move(word_));
    return std::move(words_);
  }

 private:
  std::string word_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// One expansion of one word; the structure follows BuildKit's shellWord.
class Expander {
 public:
  Expander(absl::string_view word, char escape,
           const ShellLexer::Options& options, const VarLookup& lookup,
           std::set<std::string>* used, std::set<std::string>* unset)
      : in_(word),
        escape_(static_cast<unsigned char>(escape)),
        options_(options),
        lookup_(lookup),
        used_(used),
        unset_(unset) {}

  // Appends to `out` (and `words`, when given) up to the character `stop`,
  // which is consumed, or up to the end when `stop` is kEnd.
  absl::Status Process(int32_t stop, bool raw_escapes, std::string* out,
                       WordSplitter* words) {
    while (!in_.AtEnd()) {
      const int32_t c = in_.Peek();
      if (stop != kEnd && c == stop) {
        in_.Take();
        return absl::OkStatus();
      }
      const bool quote = !options_.literal_quotes && (c == '\'' || c == '"');
      if (c == '$' || quote) {
        std::string part;
        if (c == '$') {
          ASSIGN_OR_RETURN(part, Dollar());
        } else if (c == '\'') {
          ASSIGN_OR_RETURN(part, SingleQuoted());
        } else {
          ASSIGN_OR_RETURN(part, DoubleQuoted(raw_escapes));
        }
        absl::StrAppend(out, part);
        if (words != nullptr && c == '$') {
          words->AddExpanded(part);  // a value's whitespace splits
        } else if (words != nullptr) {
          words->AddRaw(part);
        }
        continue;
      }
      absl::string_view bytes = in_.Take();
      if (c == escape_) {
        if (raw_escapes) {
          absl::StrAppend(out, bytes);
          if (words != nullptr) words->AddRaw(bytes);
        }
        bytes = in_.Take();
        if (bytes.empty()) break;  // a trailing escape escapes nothing
        if (words != nullptr) words->AddRaw(bytes);
      } else if (words != nullptr) {
        words->AddChar(bytes);
      }
      absl::StrAppend(out, bytes);
    }
    if (stop != kEnd) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected end of statement while looking for "
                       "matching ",
                       std::string(1, static_cast<char>(stop))));
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<std::string> SingleQuoted() {
    std::string out;
    absl::string_view quote = in_.Take();
    if (options_.keep_quotes) absl::StrAppend(&out, quote);
    while (true) {
      absl::string_view bytes = in_.Take();
      if (bytes.empty()) {
        return absl::InvalidArgumentError(
            "unexpected end of statement while looking for matching "
            "single-quote");
      }
      if (bytes == "'") {
        if (options_.keep_quotes) absl::StrAppend(&out, bytes);
        return out;
      }
      absl::StrAppend(&out, bytes);
    }
  }

  // Inside "...": only $ expands, and the escape character escapes only
  // '"', '$' and itself; before anything else it is kept as text.
  absl::StatusOr<std::string> DoubleQuoted(bool raw_escapes) {
    std::string out;
    absl::string_view quote = in_.Take();
    if (options_.keep_quotes) absl::StrAppend(&out, quote);
    while (true) {
      const int32_t c = in_.Peek();
      if (c == kEnd) {
        return absl::InvalidArgumentError(
            "unexpected end of statement while looking for matching "
            "double-quote");
      }
      if (c == '"') {
        absl::string_view bytes = in_.Take();
        if (options_.keep_quotes) absl::StrAppend(&out, bytes);
        return out;
      }
      if (c == '$') {
        ASSIGN_OR_RETURN(std::string value, Dollar());
        absl::StrAppend(&out, value);
        continue;
      }
      absl::string_view bytes = in_.Take();
      if (c == escape_) {
        if (raw_escapes) absl::StrAppend(&out, bytes);
        const int32_t next = in_.Peek();
        if (next == kEnd) continue;  // reported as an open quote
        if (next == '"' || next == '$' || next == escape_) bytes = in_.Take();
      }
      absl::StrAppend(&out, bytes);
    }
  }

  absl::StatusOr<std::string> Dollar() {
    in_.Take();  // '$'
    if (in_.Peek() != '{') {
      const std::string name = Name();
      if (name.empty()) return std::string("$");
      std::optional<std::string> value = Get(name);
      if (!value.has_value() && options_.keep_unset) {
        return absl::StrCat("$", name);
      }
      return value.value_or("");
    }
    in_.Take();  // '{'
    const int32_t first = in_.Peek();
    if (first == kEnd) return MissingBrace();
    if (first == '{' || first == '}' || first == ':') {
      return absl::InvalidArgumentError("syntax error: bad substitution");
    }
    const std::string name = Name();
    if (in_.AtEnd()) return MissingBrace();
    std::string op(in_.Take());
    const int32_t c = CodeOf(op);
    if (c == '}') {
      std::optional<std::string> value = Get(name);
      if (!value.has_value() && options_.keep_unset) {
        return absl::StrCat("${", name, "}");
      }
      return value.value_or("");
    }
    if (c == '/') return Replace(name);
    if (c == ':') {
      if (in_.AtEnd()) return MissingBrace();
      absl::StrAppend(&op, in_.Take());
    } else if (c != '-' && c != '+' && c != '?' && c != '#' && c != '%') {
      return Unsupported(op);
    }
    return Modifier(name, op);
  }

  // ${name<op>word} for op in -, +, ?, #, %, :-, :+, :? (and ## / %%,
  // whose second character arrives as the first of `word`).
  absl::StatusOr<std::string> Modifier(const std::string& name,
                                       const std::string& op) {
    const bool null_is_unset = op[0] == ':';
    const size_t op_size = null_is_unset ? 2 : 1;
    const char kind = op.size() == op_size ? op.back() : '\0';
    const bool pattern_op = kind == '#' || kind == '%';
    if (null_is_unset && pattern_op) return Unsupported(op);
    std::string word;
    absl::Status status = Process('}', pattern_op, &word, nullptr);
    if (!status.ok()) return in_.AtEnd() ? MissingBrace() : status;
    std::optional<std::string> value = Get(name);
    if (!value.has_value() && options_.keep_unset) {
      return absl::StrCat("${", name, op, word, "}");
    }
    const bool missing =
        !value.has_value() || (null_is_unset && value->empty());
    switch (kind) {
      case '-':
        return missing ? word : *value;
      case '+':
        return missing ? std::string() : word;
      case '?':
        if (!missing) return *value;
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": ",
                         !word.empty()        ? word
                         : !value.has_value() ? "is not allowed to be unset"
                                              : "is not allowed to be empty"));
      case '#':
      case '%': {
        const bool longest = !word.empty() && word[0] == kind;
        const absl::string_view pattern =
            absl::string_view(word).substr(longest ? 1 : 0);
        ASSIGN_OR_RETURN(Glob glob, Compile(pattern));
        const std::string subject = value.value_or("");
        return kind == '#' ? TrimMatchedPrefix(glob, subject, longest)
                           : TrimMatchedSuffix(glob, subject, longest);
      }
      default:
        return Unsupported(op);
    }
  }

  // ${name/pattern/replacement} and ${name//pattern/replacement}.
  absl::StatusOr<std::string> Replace(const std::string& name) {
    const bool all = in_.Peek() == '/';
    if (all) in_.Take();
    std::string pattern;
    absl::Status status = Process('/', true, &pattern, nullptr);
    if (!status.ok()) {
      if (!in_.AtEnd()) return status;
      return absl::InvalidArgumentError("syntax error: missing '/' in ${}");
    }
    std::string replacement;
    status = Process('}', true, &replacement, nullptr);
    if (!status.ok()) return in_.AtEnd() ? MissingBrace() : status;
    std::optional<std::string> value = Get(name);
    if (!value.has_value() && options_.keep_unset) {
      // BuildKit writes a single '/' here even for "//"; farm keeps the
      // meaning.
      return absl::StrCat("${", name, all ? "//" : "/", pattern, "/",
                          replacement, "}");
    }
    ASSIGN_OR_RETURN(Glob glob, Compile(pattern));
    return ReplaceMatches(glob, value.value_or(""), replacement, all);
  }

  // A variable name: letters, digits and '_'; or a run of digits; or one
  // special character.
  std::string Name() {
    std::string name;
    while (!in_.AtEnd()) {
      const int32_t c = in_.Peek();
      if (name.empty() && c >= '0' && c <= '9') {
        while (in_.Peek() >= '0' && in_.Peek() <= '9') {
          absl::StrAppend(&name, in_.Take());
        }
        return name;
      }
      if (name.empty() && IsSpecialParam(c)) return std::string(in_.Take());
      if (!IsNameRune(static_cast<uint32_t>(c))) break;
      absl::StrAppend(&name, in_.Take());
    }
    return name;
  }

  std::optional<std::string> Get(const std::string& name) {
    std::optional<std::string> value = lookup_(name);
    (value.has_value() ? used_ : unset_)->insert(name);
    return value;
  }

  absl::StatusOr<Glob> Compile(absl::string_view pattern) const {
    absl::StatusOr<Glob> glob =
        CompileShellPattern(pattern, options_.bracket_patterns);
    if (!glob.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid pattern (", pattern,
                       ") in substitution: ", glob.status().message()));
    }
    return glob;
  }

  static absl::Status MissingBrace() {
    return absl::InvalidArgumentError("syntax error: missing '}'");
  }
  static absl::Status Unsupported(absl::string_view op) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported modifier (", op, ") in substitution"));
  }

  Cursor in_;
  const int32_t escape_;
  const ShellLexer::Options& options_;
  const VarLookup& lookup_;
  std::set<std::string>* used_;
  std::set<std::string>* unset_;
};

absl::Status Wrap(const absl::Status& status, absl::string_view word) {
  return absl::Status(status.code(),
                      absl::StrCat("failed to process ", GoQuote(word), ": ",
                                   status.message()));
}

}  // namespace

absl::StatusOr<Expansion> ShellLexer::ProcessWord(
    absl::string_view word, const VarLookup& lookup) const {
  Expansion result;
  Expander expander(word, escape_, options_, lookup, &result.used,
                    &result.unset);
  absl::Status status =
      expander.Process(kEnd, options_.keep_escapes, &result.word, nullptr);
  if (!status.ok()) return Wrap(status, word);
  return result;
}

absl::StatusOr<ExpansionWords> ShellLexer::ProcessWords(
    absl::string_view word, const VarLookup& lookup) const {
  ExpansionWords result;
  Expander expander(word, escape_, options_, lookup, &result.used,
                    &result.unset);
  std::string joined;
  WordSplitter splitter;
  absl::Status status =
      expander.Process(kEnd, options_.keep_escapes, &joined, &splitter);
  if (!status.ok()) return Wrap(status, word);
  result.words = splitter.Finish();
  return result;
}

}  // namespace farm::dockerfile
