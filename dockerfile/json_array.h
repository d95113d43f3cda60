// The exec form of a Dockerfile instruction: a JSON array of strings. The
// rules follow Go's encoding/json, which Docker uses, so the same text is
// exec form here exactly when it is exec form in Docker.
#ifndef FARM_DOCKERFILE_JSON_ARRAY_H_
#define FARM_DOCKERFILE_JSON_ARRAY_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::dockerfile {

enum class JsonArrayResult {
  kStrings,     // A valid JSON array of strings.
  kNotJson,     // Not a JSON array: the instruction falls back to shell form.
  kNotStrings,  // Valid JSON array with a non-string element: an error.
};

// Parses `text` (leading whitespace allowed) as one JSON document. Invalid
// UTF-8 and lone surrogates in strings decode as U+FFFD, as in Go.
JsonArrayResult ParseJsonStringArray(absl::string_view text,
                                     std::vector<std::string>* out);

// Docker's error for kNotStrings.
inline constexpr absl::string_view kNotStringArrayError =
    "when using JSON array syntax, arrays must be comprised of strings only";

// `["a","b"]` with QuoteString quoting (compact, no spaces).
std::string FormatJsonArray(const std::vector<std::string>& items);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_JSON_ARRAY_H_
