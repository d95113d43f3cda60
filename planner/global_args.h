// The global scope of a build: the ARGs declared before the first FROM, with
// --build-arg overrides, plus the automatic platform ARGs. FROM lines expand
// against it, and a stage's `ARG name` without a default inherits from it.
#ifndef FARM_PLANNER_GLOBAL_ARGS_H_
#define FARM_PLANNER_GLOBAL_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/shell_lexer.h"
#include "planner/planner.h"

namespace farm::planner {

class GlobalArgs {
 public:
  // Evaluates the meta ARGs in order: a build arg wins over the default,
  // and a default may use the ARGs before it.
  static absl::StatusOr<GlobalArgs> Evaluate(
      const dockerfile::Dockerfile& dockerfile, const PlanOptions& options,
      const dockerfile::ShellLexer& lexer);

  std::optional<std::string> Lookup(absl::string_view name) const;
  // Valid while this object lives.
  dockerfile::VarLookup AsLookup() const;
  // Names a meta ARG declared.
  const std::set<std::string>& declared() const { return declared_; }
  // Declared names that have a value.
  std::map<std::string, std::string> DeclaredValues() const;

 private:
  std::map<std::string, std::optional<std::string>> values_;
  std::set<std::string> declared_;
};

}  // namespace farm::planner

#endif  // FARM_PLANNER_GLOBAL_ARGS_H_
