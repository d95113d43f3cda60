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
    // Keep quote characters in the output instead of removing them
    // (BuildKit's RawQuotes). Quotes still group: '$x' is not expanded.
    bool keep_quotes = false;
    // Keep escape characters in the output along with what they escape
    // (BuildKit's RawEscapes).
    bool keep_escapes = false;
    // Treat quote characters as plain text, so '$x' is expanded too
    // (BuildKit's SkipProcessQuotes). BuildKit expands heredoc bodies this
    // way, always with the backslash as escape character.
    bool literal_quotes = false;
    // Leave references to unset variables as written ("$x", "${x:-y}")
    // instead of expanding them (BuildKit's SkipUnsetEnv).
    bool keep_unset = false;
    // Read [...] in ${v#p}, ${v%p} and ${v/p/r} patterns as a bracket
    // expression, as POSIX shells do. Off by default because BuildKit
    // matches '[' literally there, and docker build is the reference.
    bool bracket_patterns = false;
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

  // Expands `word` and splits the result on whitespace, as for the arguments
  // of EXPOSE. Whitespace inside quotes or escaped does not split; whitespace
  // from a variable's value does. As in BuildKit, empty words are dropped,
  // even a quoted empty string ("" yields no word).
  absl::StatusOr<ExpansionWords> ProcessWords(absl::string_view word,
                                              const VarLookup& lookup) const;

 private:
  char escape_;
  Options options_;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_SHELL_LEXER_H_
