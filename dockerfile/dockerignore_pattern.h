// IgnorePattern: one .dockerignore (or COPY --exclude) pattern, compiled the
// way moby/patternmatcher compiles it, so each path matches exactly as in
// docker build. IgnoreMatcher combines these; see dockerignore.h.
#ifndef FARM_DOCKERFILE_DOCKERIGNORE_PATTERN_H_
#define FARM_DOCKERFILE_DOCKERIGNORE_PATTERN_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/glob.h"

namespace farm::dockerfile {

class IgnorePattern {
 public:
  // Compiles `pattern`, which is already cleaned and has no leading '!'.
  // '*' and '?' never match '/'; "**" matches any number of directories
  // ("**/" may be empty); '\' escapes the next character; [...] is a class
  // with filepath.Match syntax ('^' negates). kInvalidArgument, with
  // filepath.Match's "syntax error in pattern", for a malformed class or a
  // trailing '\'.
  //
  // Where patternmatcher leaks Go regexp syntax into a pattern, farm keeps
  // the plain meaning instead: a '^' outside a class is a literal (Go reads
  // it as an anchor that never matches), "\d" is the letter d, and '*' or
  // '?' inside a class are themselves.
  static absl::StatusOr<IgnorePattern> Compile(std::string pattern,
                                               bool exclusion);

  // True when the pattern matches `path` or one of its parent directories
  // (patternmatcher's per-pattern test in MatchesOrParentMatches). `path`
  // is clean, relative and '/'-separated.
  bool MatchesOrParent(absl::string_view path) const;

  // True when some path strictly below directory `dir` could match.
  // Conservative: may say true when no such path exists, never false when
  // one does.
  bool CouldMatchBelow(absl::string_view dir) const;

  bool exclusion() const { return exclusion_; }
  // The cleaned pattern, without '!'.
  const std::string& text() const { return text_; }

 private:
  // patternmatcher's match types: the first three compare strings, the
  // last runs the compiled tokens.
  enum class Type { kExact, kPrefix, kSuffix, kTokens };

  IgnorePattern(std::string text, bool exclusion)
      : text_(std::move(text)), exclusion_(exclusion) {}

  std::string text_;
  bool exclusion_;
  Type type_ = Type::kExact;
  // The whole pattern as tokens, whatever type_ says (CouldMatchBelow and
  // the suffix and token types use it).
  Glob glob_;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_DOCKERIGNORE_PATTERN_H_
