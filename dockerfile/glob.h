// Glob: a wildcard pattern held as a token list and matched by carrying the
// set of reachable input positions from token to token, so a match costs
// O(tokens x input) whatever the pattern (no backtracking blow-up). The
// .dockerignore matcher and the shell lexer's ${v#p}, ${v%p} and ${v/p/r}
// each parse their own pattern dialect into these tokens.
#ifndef FARM_DOCKERFILE_GLOB_H_
#define FARM_DOCKERFILE_GLOB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// A bracket expression such as [a-z_] or [^0-9].
struct CharClass {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  bool negated = false;

  bool Contains(uint32_t c) const;
};

// Parses the bracket expression opening at pattern[pos] == '[' with the
// syntax of Go's filepath.Match: a leading '^' (and '!' too when
// `bang_negates`) negates, '\' escapes the next character, "lo-hi" is a
// range. Returns the index just past the closing ']'. kInvalidArgument when
// the expression is malformed: unclosed, empty, a dangling '-' or '\', a
// reversed range or invalid UTF-8.
absl::StatusOr<size_t> ParseCharClass(absl::string_view pattern, size_t pos,
                                      bool bang_negates, CharClass* out);

// For the `stop` arguments below: no byte is excluded.
inline constexpr int kNoStop = -1;

class Glob {
 public:
  // Which start a span search reports for each end position.
  enum class Starts {
    kAnchored,  // only the `from` position
    kEarliest,  // every character boundary >= from; report the smallest
    kLatest,    // every character boundary >= from; report the largest
  };

  void AddLiteral(absl::string_view bytes);
  // Any run of bytes (possibly empty) none of which is `stop`.
  void AddStar(int stop);
  // Exactly one character other than `stop`.
  void AddOne(int stop);
  void AddClass(CharClass cls);
  // Nothing, or a run without `stop` that ends in '/': the "**/" of a path
  // pattern.
  void AddDirs(int stop);

  bool empty() const { return tokens_.empty(); }

  // Returns s.size() + 1 entries: entry e is the start b (chosen as `starts`
  // says) such that s[b, e) matches the whole pattern, or -1 when none does.
  std::vector<int64_t> Spans(absl::string_view s, size_t from,
                             Starts starts) const;
  bool FullMatch(absl::string_view s) const;
  // True when some string that begins with `prefix` and is longer than it
  // could match. Conservative: a class is assumed to match something.
  bool CouldMatchLonger(absl::string_view prefix) const;

 private:
  enum class Kind { kLiteral, kStar, kOne, kClass, kDirs };
  struct Token {
    Kind kind;
    std::string literal;  // kLiteral
    int stop = kNoStop;   // kStar, kOne, kDirs
    CharClass cls;        // kClass
  };

  // Carries the labels in `cur` (one per position of s, -1 = unreachable)
  // across `token` into `next`, keeping the smaller or larger start label.
  static void Step(const Token& token, absl::string_view s,
                   const std::vector<int64_t>& cur, bool keep_latest,
                   std::vector<int64_t>* next);

  std::vector<Token> tokens_;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_GLOB_H_
