// ShellLexer: the Dockerfile frontend's word expansion. It substitutes
// variables in the forms the Dockerfile reference lists ($v, ${v}, ${v:-w},
// ${v#p}, ${v/p/r}, ...), honours quotes and the escape character, and
// reports which variables a word used, so the planner can record the build
// args an instruction sees and warn about the ones nothing consumed.
#ifndef FARM_DOCKERFILE_SHELL_LEXER_H_
#define FARM_DOCKERFILE_SHELL_LEXER_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// Looks a variable up by name; std::nullopt when it is not set (an empty
// value is set).
using VarLookup =
    std::function<std::optional<std::string>(absl::string_view name)>;

struct Expansion {
  std::string word;
  // Names referenced by the word that were set in the lookup.
  std::set<std::string> used;
  // Names referenced by the word that were not set.
  std::set<std::string> unset;
};

struct ExpansionWords {
  std::vector<std::string> words;
  std::set<std::string> used;
  std::set<std::string> unset;
};

class ShellLexer {
 public:
  struct Options {
    // Keep quote characters in the output instead of removing them (used for
    // heredoc bodies, where quotes are literal text).
    bool keep_quotes = false;
    // Keep escape characters that do not escape anything special (heredoc
    // bodies again).
    bool keep_escapes = false;
  };

  explicit ShellLexer(char escape = '\\') : escape_(escape) {}
  ShellLexer(char escape, Options options)
      : escape_(escape), options_(options) {}

  // Expands `word` as one word: quotes are removed, whitespace is kept.
  // kInvalidArgument for malformed input (unterminated quote or ${, bad
  // modifier) and for ${v:?msg} / ${v?msg} when v is unset, with msg in the
  // message.
  absl::StatusOr<Expansion> ProcessWord(absl::string_view word,
                                        const VarLookup& lookup) const;

  // Expands `word` and splits the result on unquoted whitespace, as for the
  // arguments of EXPOSE, VOLUME or COPY. A quoted empty string is a word.
  absl::StatusOr<ExpansionWords> ProcessWords(absl::string_view word,
                                              const VarLookup& lookup) const;

 private:
  char escape_;
  Options options_;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_SHELL_LEXER_H_
