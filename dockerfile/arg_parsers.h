// How each instruction's text after the keyword and flags becomes a list of
// arguments. Docker has one rule per instruction family (whitespace lists,
// JSON-or-shell, key=value pairs, ...); these reproduce them, keeping quotes
// where Docker keeps them for the later expansion step.
#ifndef FARM_DOCKERFILE_ARG_PARSERS_H_
#define FARM_DOCKERFILE_ARG_PARSERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

struct ParsedArgs {
  std::vector<std::string> args;
  bool json = false;  // exec form (a JSON array)
};

// Words separated by whitespace; quotes group words and are kept in them, the
// escape character escapes the next character and is kept too.
std::vector<std::string> ParseWords(absl::string_view rest, char escape);

// ENV and LABEL: `key value` (legacy) or `k=v k2="v 2" ...`. Arguments come in
// triples (key, value, separator) where the separator is "=" or "" (legacy).
// `keyword` ("ENV" or "LABEL") is used in error messages.
absl::StatusOr<ParsedArgs> ParseKeyValues(absl::string_view rest,
                                          absl::string_view keyword,
                                          char escape);

// ARG: the words as they are (`name` or `name=default`).
ParsedArgs ParseArgWords(absl::string_view rest, char escape);

// FROM and EXPOSE: split on runs of spaces and tabs.
ParsedArgs ParseWhitespaceList(absl::string_view rest);

// USER, WORKDIR, STOPSIGNAL, MAINTAINER: the whole text as one argument.
ParsedArgs ParseSingleString(absl::string_view rest);

// RUN, CMD, ENTRYPOINT, SHELL: a JSON array, or else the whole text as one
// argument. A JSON array with non-string items is an error.
absl::StatusOr<ParsedArgs> ParseJsonOrString(absl::string_view rest);

// COPY, ADD, VOLUME: a JSON array, or else a whitespace list.
absl::StatusOr<ParsedArgs> ParseJsonOrList(absl::string_view rest);

// HEALTHCHECK: the first word (NONE or CMD), then JSON-or-string.
absl::StatusOr<ParsedArgs> ParseHealthcheckArgs(absl::string_view rest);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_ARG_PARSERS_H_
