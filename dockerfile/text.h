// Text helpers that follow Go's definitions. Docker's Dockerfile frontend is
// written in Go, and its whitespace, UTF-8, number and quoting rules decide
// how a Dockerfile parses, so farm reproduces them exactly here.
#ifndef FARM_DOCKERFILE_TEXT_H_
#define FARM_DOCKERFILE_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// unicode.IsSpace for one code point.
bool IsGoSpace(uint32_t rune);
// unicode.IsSpace(rune(b)) for one byte, as Go code that indexes bytes sees it
// (so 0x85 and 0xA0 count as spaces).
bool IsGoSpaceByte(unsigned char b);

// utf8.DecodeRuneInString: the code point at s[0] and its width. Invalid or
// truncated input decodes as U+FFFD with width 1. s must not be empty.
uint32_t DecodeRune(absl::string_view s, int* width);
// Appends the UTF-8 encoding of `rune` (U+FFFD for invalid code points).
void AppendRune(uint32_t rune, std::string* out);

// strings.TrimLeftFunc / TrimSpace with unicode.IsSpace.
absl::string_view TrimLeftGoSpace(absl::string_view s);
absl::string_view TrimGoSpace(absl::string_view s);

// True for the bytes of Docker's `[\t\v\f\r ]` whitespace class.
bool IsSplitSpace(char c);
// regexp `[\t\v\f\r ]+`.Split(s, -1) (limit < 0) or with a limit of 2.
std::vector<std::string> SplitOnSpaceRuns(absl::string_view s, int limit);

// strconv.ParseBool.
std::optional<bool> ParseGoBool(absl::string_view s);
// strconv.ParseUint(s, base, bits) without the 0x/0o prefixes (base 8 or 10).
std::optional<uint64_t> ParseGoUint(absl::string_view s, int base, int bits);
// strconv.ParseInt(s, 10, bits).
std::optional<int64_t> ParseGoInt(absl::string_view s, int bits);

// Go's %q: a double-quoted string with backslash escapes.
std::string GoQuote(absl::string_view s);

// A double-quoted string that names every byte unambiguously: JSON escapes
// for quotes, backslashes and control characters, \xNN for bytes that are not
// valid UTF-8. Used by the canonical text and the AST dump.
std::string QuoteString(absl::string_view s);

// ASCII case folding.
std::string ToLowerAscii(absl::string_view s);
std::string ToUpperAscii(absl::string_view s);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_TEXT_H_
