// Parser directives (`# syntax=`, `# escape=`, `# check=`): comment lines at
// the very top of a Dockerfile that change how the rest is read. Docker only
// honours them before the first blank line, comment or instruction.
#ifndef FARM_DOCKERFILE_DIRECTIVES_H_
#define FARM_DOCKERFILE_DIRECTIVES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

struct Directive {
  std::string value;
  int line = 0;  // 1-based
};

struct Directives {
  std::optional<Directive> syntax;
  std::optional<Directive> escape;
  std::optional<Directive> check;
  // The escape character in force: '\\' unless `# escape=`` ` said otherwise.
  char escape_char = '\\';
};

// Reads the directive block line by line, as Docker does: every line is fed
// until the first one that is not a known directive, after which nothing else
// counts. Errors (kInvalidArgument, message without location) for a directive
// given twice and for an escape character other than ` or \.
class DirectiveScanner {
 public:
  // `line` is one physical line without its newline and without leading
  // whitespace. `line_number` is 1-based and only recorded.
  absl::Status Feed(absl::string_view line, int line_number);
  bool done() const { return done_; }
  const Directives& directives() const { return directives_; }

 private:
  bool done_ = false;
  Directives directives_;
};

// The `# check=` value: `skip=A,B` (or `skip=all`), `error=<bool>`,
// `experimental=...`, separated by ';'. kInvalidArgument for malformed input,
// as BuildKit rejects it.
struct CheckOptions {
  std::vector<std::string> skip;
  bool skip_all = false;
  bool error = false;
};
absl::StatusOr<CheckOptions> ParseCheckOptions(absl::string_view value);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_DIRECTIVES_H_
