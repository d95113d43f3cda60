// The patterns of ${v#p}, ${v%p} and ${v/p/r}, read and applied exactly as
// BuildKit's shell lexer does (it turns them into Go regular expressions, so
// a few of Go's rules show through; each is noted below). Used by
// ShellLexer only.
#ifndef FARM_DOCKERFILE_SHELL_LEXER_PATTERN_H_
#define FARM_DOCKERFILE_SHELL_LEXER_PATTERN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/glob.h"

namespace farm::dockerfile {

// True for the characters of a variable name after the first: letters and
// digits of any script, and '_' (Go's unicode.IsLetter / IsDigit).
bool IsNameRune(uint32_t c);

// Compiles a pattern. '*' is any run of characters and '?' one character;
// neither crosses a newline (they are Go's ".*" and "."). A '\' makes the
// next '*', '?' or '\' literal, and is dropped before '}' and '/' (which
// had to be escaped inside ${...}); any other escape is kInvalidArgument.
// '[' is literal, as in BuildKit, unless `brackets` is set: then a
// well-formed [...] is a character class ('!' or '^' negates) and '\' may
// also escape '[' and ']'.
absl::StatusOr<Glob> CompileShellPattern(absl::string_view pattern,
                                         bool brackets);

// ${v#p} (shortest) / ${v##p} (longest): `value` minus the matched prefix,
// or `value` unchanged when nothing matches.
std::string TrimMatchedPrefix(const Glob& pattern, absl::string_view value,
                              bool longest);
// ${v%p} (shortest) / ${v%%p} (longest): `value` minus the matched suffix.
std::string TrimMatchedSuffix(const Glob& pattern, absl::string_view value,
                              bool longest);

// ${v/p/r}: replaces the leftmost match (the longest one starting there)
// with `replacement`, taken literally. ${v//p/r} (`all`): replaces every
// match left to right as Go's Regexp.ReplaceAllString does: an empty match
// right after a match is skipped, and the replacement is a Go template, so
// "$0" / "${0}" insert the match, "$$" a '$', and any other "$name" nothing.
std::string ReplaceMatches(const Glob& pattern, absl::string_view value,
                           absl::string_view replacement, bool all);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_SHELL_LEXER_PATTERN_H_
