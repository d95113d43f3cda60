// The variables one stage's instructions see while the planner walks it.
// The last definition wins: an ENV after an ARG of the same name shadows
// it (the Dockerfile reference's rule), and, as BuildKit does, an ARG with
// a value declared after an ENV shadows the ENV for later expansions and
// RUN. The image config's Env only ever holds ENV values.
#ifndef FARM_PLANNER_VARIABLE_SCOPE_H_
#define FARM_PLANNER_VARIABLE_SCOPE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dockerfile/shell_lexer.h"
#include "planner/ordered_env.h"

namespace farm::planner {

class VariableScope {
 public:
  // Starts from an image's Env list ("K=V" strings, as in an image config).
  void InheritEnv(const std::vector<std::string>& env);
  void SetEnv(const std::string& name, const std::string& value);
  // `ARG name[=value]`; a value of nullopt declares the name but leaves it
  // unset.
  void DeclareArg(const std::string& name, std::optional<std::string> value);

  std::optional<std::string> Lookup(absl::string_view name) const;
  // A lookup that stays valid as long as this scope lives.
  dockerfile::VarLookup AsLookup() const;

  // ARG values that no later ENV shadows: what RUN gets in its environment
  // from the build args.
  std::map<std::string, std::string> VisibleArgs() const;
  // True when `name` resolves to an ARG value rather than an ENV value.
  bool IsVisibleArg(const std::string& name) const;
  // ENV in definition order, as "K=V" strings for the image config.
  std::vector<std::string> EnvList() const;

 private:
  struct Binding {
    std::string value;
    bool from_arg = false;
  };
  OrderedEnv env_;                                       // ENV only
  std::map<std::string, Binding, std::less<>> current_;  // what expands
};

}  // namespace farm::planner

#endif  // FARM_PLANNER_VARIABLE_SCOPE_H_
